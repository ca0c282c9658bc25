#ifndef WEBHOOK_TESTS_SUPPORT_UNUSED_PORT_HPP
#define WEBHOOK_TESTS_SUPPORT_UNUSED_PORT_HPP

// A free loopback port for a test's own server (redis-server, postgres, ...).

#include <cstdint>
#include <stdexcept>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace webhook::test {

/// A loopback port nothing listens on now (the kernel's choice; free again when this returns).
inline std::uint16_t unused_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        throw std::runtime_error("no free loopback port");
    ::close(fd);
    return ntohs(a.sin_port);
}

} // namespace webhook::test

#endif

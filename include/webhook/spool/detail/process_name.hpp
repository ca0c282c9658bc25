#ifndef WEBHOOK_SPOOL_DETAIL_PROCESS_NAME_HPP
#define WEBHOOK_SPOOL_DETAIL_PROCESS_NAME_HPP

// The default name of a process among those sharing a spool (a Redis consumer, a PostgreSQL
// worker): unique among the processes running at once on a network.

#include <cstring>
#include <string>

#include <unistd.h>

namespace webhook::detail {

/// `<host name>-<process id>`.
inline std::string process_name() {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0')
        std::strcpy(host, "localhost");
    return std::string(host) + "-" + std::to_string(::getpid());
}

} // namespace webhook::detail

#endif

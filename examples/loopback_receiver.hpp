#ifndef WEBHOOK_EXAMPLES_LOOPBACK_RECEIVER_HPP
#define WEBHOOK_EXAMPLES_LOOPBACK_RECEIVER_HPP

// A small webhook receiver for the demo: plain HTTP/1.1 on 127.0.0.1 with Boost.Beast, one
// thread per connection, keep-alive. It prints what it receives (method, target, webhook-id,
// the Basic user, the body) and answers 204, or a status the demo queued up (a 503, say).

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <deque>
#include <functional>
#include <iostream>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace demo {

/// The user-id of an `Authorization: Basic ...` value, decoded (RFC 7617), or empty.
inline std::string basic_user(std::string_view authorization) {
    constexpr std::string_view scheme = "Basic ";
    if (authorization.substr(0, scheme.size()) != scheme)
        return {};
    authorization.remove_prefix(scheme.size());
    auto sextet = [](char c) -> int {
        if (c >= 'A' && c <= 'Z')
            return c - 'A';
        if (c >= 'a' && c <= 'z')
            return c - 'a' + 26;
        if (c >= '0' && c <= '9')
            return c - '0' + 52;
        if (c == '+')
            return 62;
        if (c == '/')
            return 63;
        return -1;
    };
    std::string decoded;
    unsigned bits = 0;
    int count = 0;
    for (const char c : authorization) {
        const int v = sextet(c);
        if (v < 0)
            break; // '=' padding ends it
        bits = (bits << 6) | static_cast<unsigned>(v);
        if ((count += 6) >= 8) {
            count -= 8;
            decoded.push_back(static_cast<char>((bits >> count) & 0xFF));
        }
    }
    return decoded.substr(0, decoded.find(':'));
}

class loopback_receiver {
public:
    loopback_receiver() : acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
        accept_thread_ = std::thread([this] { accept_loop(); });
    }

    ~loopback_receiver() {
        stopping_ = true;
        boost::system::error_code ignored;
        { // a blocking accept() does not return when the acceptor is closed: connect to it
            boost::asio::ip::tcp::socket wake(io_);
            wake.connect(acceptor_.local_endpoint(), ignored);
        }
        accept_thread_.join();
        acceptor_.close(ignored);
        std::lock_guard lock(mutex_);
        for (auto& s : sockets_)
            s.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
        for (auto& t : connection_threads_)
            t.join();
    }

    std::string url(std::string_view path) const {
        return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) +
               std::string(path);
    }

    /// The next request is answered with `status` instead of 204.
    void answer_next_with(unsigned status) {
        std::lock_guard lock(mutex_);
        scripted_.push_back(status);
    }

private:
    void accept_loop() {
        for (;;) {
            boost::system::error_code ec;
            boost::asio::ip::tcp::socket socket(io_);
            acceptor_.accept(socket, ec);
            if (ec || stopping_)
                return;
            std::lock_guard lock(mutex_);
            sockets_.push_back(std::move(socket));
            auto& s = sockets_.back();
            connection_threads_.emplace_back([this, &s] { serve(s); });
        }
    }

    void serve(boost::asio::ip::tcp::socket& socket) {
        namespace http = boost::beast::http;
        boost::beast::flat_buffer buffer;
        for (;;) {
            http::request<http::string_body> request;
            boost::system::error_code ec;
            http::read(socket, buffer, request, ec);
            if (ec)
                return; // the client closed the connection, or the demo is over
            unsigned status = 204;
            {
                std::lock_guard lock(mutex_);
                if (!scripted_.empty()) {
                    status = scripted_.front();
                    scripted_.pop_front();
                }
                std::cout << "  receiver: " << request.method_string() << ' ' << request.target()
                          << "  webhook-id=" << request["webhook-id"]
                          << "  user=" << basic_user(request[http::field::authorization]) << "  -> "
                          << status << "\n            " << request.body() << '\n';
            }
            http::response<http::empty_body> response{static_cast<http::status>(status), 11};
            response.keep_alive(request.keep_alive());
            response.prepare_payload();
            http::write(socket, response, ec);
            if (ec || !request.keep_alive())
                return;
        }
    }

    boost::asio::io_context io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::atomic<bool> stopping_{false};
    std::mutex mutex_;
    std::deque<unsigned> scripted_;
    std::list<boost::asio::ip::tcp::socket> sockets_;
    std::list<std::thread> connection_threads_;
    std::thread accept_thread_;
};

} // namespace demo

#endif

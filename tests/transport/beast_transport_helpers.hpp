#ifndef WEBHOOK_TESTS_TRANSPORT_BEAST_TRANSPORT_HELPERS_HPP
#define WEBHOOK_TESTS_TRANSPORT_BEAST_TRANSPORT_HELPERS_HPP

// What the tests of the built-in transport share (transport/beast_transport_*test.cpp): short
// timeouts, one POST and its outcome, the test PKI and its CA in a file.

#include <webhook/transport/beast_transport.hpp>

#include "support/test_pki.hpp"

#include <boost/asio/ssl/error.hpp>

#include <chrono>
#include <string>
#include <utility>

namespace webhook::test {

/// An error enum of Beast or Asio as an error_code, which Boost.Test can print.
template <class E>
boost::system::error_code code(E e) {
    return make_error_code(e);
}

inline bool is_tls_error(boost::system::error_code ec) {
    return ec.category() == boost::asio::error::get_ssl_category();
}

inline webhook::beast_transport_options fast_timeouts() {
    webhook::beast_transport_options o;
    o.connect_timeout = std::chrono::seconds(2);
    o.handshake_timeout = std::chrono::seconds(2);
    o.request_timeout = std::chrono::seconds(2);
    return o;
}

struct exchange {
    boost::system::error_code ec;
    webhook::http_response response;
};

inline exchange post(webhook::beast_transport& t, const std::string& url, std::string body = "{}",
                     const webhook::request_headers& headers = {}) {
    const webhook::endpoint_url u(url);
    const auto req =
        webhook::make_request(boost::beast::http::verb::post, u, std::move(body), headers);
    exchange x;
    x.response = t.send(u.origin(), req, x.ec);
    return x;
}

inline const webhook::test::test_pki& pki() {
    static const auto p = webhook::test::test_pki::make();
    return p;
}

inline std::string ca_file() {
    static const std::string path = webhook::test::write_temp_file(pki().ca_cert, ".pem");
    return path;
}

inline webhook::beast_transport_options trusting_test_ca() {
    auto o = fast_timeouts();
    o.tls.ca_file = ca_file();
    return o;
}

} // namespace webhook::test

#endif

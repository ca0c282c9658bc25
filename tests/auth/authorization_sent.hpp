#ifndef WEBHOOK_TESTS_AUTH_AUTHORIZATION_SENT_HPP
#define WEBHOOK_TESTS_AUTH_AUTHORIZATION_SENT_HPP

#include <webhook/auth/authenticator.hpp>
#include <webhook/transport/request.hpp>

#include <string>

namespace webhook::test {

/// The Authorization header of a request made with `auth`'s headers; "<none>" when absent.
inline std::string authorization_sent(const webhook::request_authenticator& auth) {
    webhook::request_headers headers;
    auth.authorize(headers);
    const auto request =
        webhook::make_request(boost::beast::http::verb::post,
                              webhook::endpoint_url("https://receiver.test/in"), "{}", headers);
    const auto it = request.find(boost::beast::http::field::authorization);
    return it == request.end() ? "<none>" : std::string(it->value());
}

} // namespace webhook::test

#endif

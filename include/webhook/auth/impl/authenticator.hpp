#ifndef WEBHOOK_AUTH_IMPL_AUTHENTICATOR_HPP
#define WEBHOOK_AUTH_IMPL_AUTHENTICATOR_HPP

#include <boost/throw_exception.hpp>

#include <stdexcept>
#include <type_traits>

namespace webhook {

namespace detail {

[[noreturn]] inline void throw_no_token_scheme() {
    boost::throw_exception(
        std::logic_error("request_authenticator: this authentication obtains no token"));
}

} // namespace detail

inline request_authenticator request_authenticator::make(const authentication& a) {
    request_authenticator r;
    std::visit(
        [&r](const auto& options) {
            using options_type = std::decay_t<decltype(options)>;
            r.scheme_.template emplace<detail::auth_scheme_t<options_type>>(options);
        },
        a);
    return r;
}

inline bool request_authenticator::enabled() const noexcept {
    return !std::holds_alternative<detail::no_auth_scheme>(scheme_);
}

inline void request_authenticator::authorize(request_headers& headers) const {
    std::visit([&headers](const auto& s) { s.authorize(headers); }, scheme_);
}

inline bool request_authenticator::needs_token() const noexcept {
    return std::visit([](const auto& s) { return std::decay_t<decltype(s)>::needs_token; },
                      scheme_);
}

template <class Result, class F>
Result request_authenticator::with_token_scheme(F f) const {
    return std::visit(
        [&f](const auto& s) -> Result {
            if constexpr (std::decay_t<decltype(s)>::needs_token)
                return f(s);
            else
                detail::throw_no_token_scheme();
        },
        scheme_);
}

inline http_request request_authenticator::token_request(const request_headers& common) const {
    return with_token_scheme<http_request>(
        [&common](const auto& s) { return s.token_request(common); });
}

inline const origin& request_authenticator::token_origin() const {
    return with_token_scheme<const origin&>(
        [](const auto& s) -> const origin& { return s.token_origin(); });
}

inline boost::system::result<access_token>
request_authenticator::read_token(boost::system::error_code ec,
                                  const http_response& response) const {
    return with_token_scheme<boost::system::result<access_token>>([&](const auto& s) {
        return s.read_token(ec, ec ? 0u : response.result_int(), response.body());
    });
}

inline std::chrono::seconds request_authenticator::refresh_skew() const noexcept {
    return std::visit(
        [](const auto& s) -> std::chrono::seconds {
            if constexpr (std::decay_t<decltype(s)>::needs_token)
                return s.refresh_skew();
            else
                return std::chrono::seconds(0);
        },
        scheme_);
}

} // namespace webhook

#endif

#ifndef WEBHOOK_TRANSPORT_IMPL_REQUEST_HPP
#define WEBHOOK_TRANSPORT_IMPL_REQUEST_HPP

#include <webhook/detail/base64.hpp>

#include <boost/beast/http/field.hpp>
#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>

namespace webhook {

namespace detail {

// tchar of RFC 9110: "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" /
// "`" / "|" / "~" / DIGIT / ALPHA
constexpr bool is_token_char(char c) noexcept {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    for (const char t : std::string_view("!#$%&'*+-.^_`|~"))
        if (c == t)
            return true;
    return false;
}

constexpr bool is_forbidden_in_value(char ch) noexcept {
    const auto c = static_cast<unsigned char>(ch);
    return (c < 0x20 && c != '\t') || c == 0x7F;
}

inline void throw_if(boost::system::error_code ec, const char* what) {
    if (ec)
        boost::throw_exception(boost::system::system_error(ec, what));
}

} // namespace detail

inline boost::system::error_code check_header(std::string_view name,
                                              std::string_view value) noexcept {
    if (name.empty())
        return error::invalid_header_name;
    for (const char c : name)
        if (!detail::is_token_char(c))
            return error::invalid_header_name;
    for (const char c : value)
        if (detail::is_forbidden_in_value(c))
            return error::invalid_header_value;
    return {};
}

inline boost::system::result<std::string> basic_authorization(std::string_view user_id,
                                                              std::string_view password) {
    if (user_id.find(':') != std::string_view::npos)
        return make_error_code(error::colon_in_user_id);
    for (const std::string_view part : {user_id, password})
        for (const char c : part)
            if (detail::is_forbidden_in_value(c))
                return make_error_code(error::invalid_header_value);
    std::string credentials;
    credentials.reserve(user_id.size() + 1 + password.size());
    credentials.append(user_id).append(1, ':').append(password);
    return "Basic " + detail::base64_encode(credentials);
}

inline boost::system::result<std::string> bearer_authorization(std::string_view token) {
    if (token.empty())
        return make_error_code(error::invalid_header_value);
    for (const char c : token)
        if (detail::is_forbidden_in_value(c) || c == ' ')
            return make_error_code(error::invalid_header_value);
    return "Bearer " + std::string(token);
}

inline bool request_headers::has_extra(std::string_view name) const noexcept {
    for (const auto& field : extra_)
        if (detail::iequals(field.first, name))
            return true;
    return false;
}

inline request_headers& request_headers::basic_auth(std::string_view user_id,
                                                    std::string_view password) {
    auto value = basic_authorization(user_id, password);
    if (!value)
        detail::throw_if(value.error(), "basic authentication");
    if (has_extra("Authorization"))
        detail::throw_if(error::reserved_header,
                         "basic authentication: conflicts with the Authorization header added");
    authorization_ = std::move(*value);
    return *this;
}

inline request_headers& request_headers::bearer_auth(std::string_view token) {
    auto value = bearer_authorization(token);
    if (!value)
        detail::throw_if(value.error(), "bearer token");
    if (has_extra("Authorization"))
        detail::throw_if(error::reserved_header,
                         "bearer token: conflicts with the Authorization header added");
    authorization_ = std::move(*value);
    return *this;
}

inline request_headers& request_headers::add(std::string_view name, std::string_view value) {
    detail::throw_if(check_header(name, value), "header");
    // The name is a token now: quoting it in the message is safe.
    const detail::reserved_header* reserved = detail::find_reserved_header(name);
    if (reserved && reserved->where == detail::reserved_in::every_request)
        detail::throw_if(error::reserved_header,
                         ("header " + std::string(name) + ": " + reserved->why).c_str());
    if (!authorization_.empty() && detail::iequals(name, "Authorization"))
        detail::throw_if(error::reserved_header,
                         "header Authorization: conflicts with basic_auth or bearer_auth");
    extra_.emplace_back(name, value);
    return *this;
}

inline request_headers& request_headers::user_agent(std::string_view value) {
    detail::throw_if(check_header("User-Agent", value), "User-Agent");
    user_agent_ = value;
    return *this;
}

inline http_request make_request(boost::beast::http::verb method, const endpoint_url& url,
                                 std::string body, const request_headers& headers) {
    namespace http = boost::beast::http;
    if (method != http::verb::post && method != http::verb::put && method != http::verb::patch)
        detail::throw_if(error::unsupported_method, "request method");
    http_request req{method, url.target(), 11};
    req.set(http::field::host, url.host_header());
    req.set(http::field::user_agent, headers.user_agent());
    req.set(http::field::accept, "application/json, */*");
    req.set(http::field::content_type, "application/json; charset=utf-8");
    if (!headers.authorization().empty())
        req.set(http::field::authorization, headers.authorization());
    for (const auto& [name, value] : headers.extra())
        req.insert(name, value);
    req.body() = std::move(body);
    req.prepare_payload();
    return req;
}

} // namespace webhook

#endif

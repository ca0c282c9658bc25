#ifndef WEBHOOK_AUTH_DETAIL_OAUTH_HPP
#define WEBHOOK_AUTH_DETAIL_OAUTH_HPP

#include <webhook/auth/access_token.hpp>
#include <webhook/config/options.hpp>
#include <webhook/error.hpp>
#include <webhook/transport/request.hpp>
#include <webhook/transport/url.hpp>

#include <boost/beast/http/field.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// OAuth 2.0 client credentials without I/O: the token request to send, and the reading of its
// answer. The dispatcher sends the one and hands back the other (through
// `request_authenticator`); `token_cache.hpp` keeps the token between the two.
namespace webhook::detail {

/// `application/x-www-form-urlencoded` (the WHATWG URL standard's serializer): unreserved
/// bytes as they are, space as `+`, every other byte as `%XX`.
inline void append_form_encoded(std::string& out, std::string_view in) {
    constexpr char hex[] = "0123456789ABCDEF";
    for (const char ch : in) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '*' || c == '-' || c == '.' || c == '_') {
            out += ch;
        } else if (c == ' ') {
            out += '+';
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
}

/** The token request of the client credentials grant (RFC 6749 section 4.4.2): a form POST
    of `grant_type=client_credentials`, the scope and audience when set, and the client's
    credentials in a Basic header (each form-encoded first, as section 2.3.1 says) or in the
    body. */
inline http_request make_token_request(const oauth2_client_credentials& c,
                                       const endpoint_url& token_url,
                                       const request_headers& common) {
    std::string body = "grant_type=client_credentials";
    const auto parameter = [&](std::string_view name, std::string_view value) {
        body += '&';
        body += name;
        body += '=';
        append_form_encoded(body, value);
    };
    if (!c.scope.empty())
        parameter("scope", c.scope);
    if (!c.audience.empty())
        parameter("audience", c.audience);
    request_headers headers;
    headers.user_agent(common.user_agent());
    if (c.client_authentication == oauth2_client_authentication::basic) {
        std::string id, password;
        append_form_encoded(id, c.client_id);
        append_form_encoded(password, c.client_secret.reveal());
        headers.basic_auth(id, password);
    } else {
        parameter("client_id", c.client_id);
        parameter("client_secret", c.client_secret.reveal());
    }
    http_request r =
        make_request(boost::beast::http::verb::post, token_url, std::move(body), headers);
    r.set(boost::beast::http::field::content_type, "application/x-www-form-urlencoded");
    r.set(boost::beast::http::field::accept, "application/json");
    return r;
}

/** Reads a successful token response (RFC 6749 section 5.1): a JSON object with a string
    `access_token` fit for a header, a `token_type` of `Bearer` (any case), and an optional
    non-negative `expires_in`. Anything else is `error::token_request_failed`. */
inline boost::system::result<access_token> parse_token_response(std::string_view body) {
    const boost::system::error_code bad = error::token_request_failed;
    boost::system::error_code ec;
    const boost::json::value doc = boost::json::parse(body, ec);
    const auto* obj = ec ? nullptr : doc.if_object();
    if (!obj)
        return bad;
    const auto* token = obj->if_contains("access_token");
    const auto* type = obj->if_contains("token_type");
    if (!token || !token->is_string() || token->get_string().empty() || !type || !type->is_string())
        return bad;
    const std::string_view type_text = type->get_string();
    if (type_text.size() != 6 || !iequals(type_text, "bearer"))
        return bad;
    access_token t;
    t.token = token->get_string();
    // RFC 6750's b64token: the only characters a Bearer header may carry.
    for (const char c : t.token)
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '='))
            return bad;
    if (const auto* expires = obj->if_contains("expires_in"); expires && !expires->is_null()) {
        const auto seconds = expires->to_number<std::int64_t>(ec);
        if (ec || seconds < 0)
            return bad;
        t.expires_in = std::chrono::seconds(seconds);
    }
    t.authorization.assign("Bearer ").append(t.token);
    return t;
}

/** Reads the token endpoint's answer, or the transport's error: the token of a 2xx answer
    (`parse_token_response`); otherwise `error::token_request_failed`, or
    `error::address_not_allowed` when the destination policy refused the token endpoint (the
    receiver would be refused the same way: no retry can help). */
inline boost::system::result<access_token>
read_token_answer(boost::system::error_code ec, unsigned status, std::string_view body) {
    if (!ec && status / 100 == 2)
        return parse_token_response(body);
    if (ec == error::address_not_allowed)
        return ec;
    return make_error_code(error::token_request_failed);
}

} // namespace webhook::detail

#endif

#ifndef WEBHOOK_TRANSPORT_IMPL_URL_HPP
#define WEBHOOK_TRANSPORT_IMPL_URL_HPP

#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace webhook {

namespace detail {

/// Whether `host` holds only bytes a reg-name may hold without percent-encoding: letters,
/// digits, `-._~` and `!$&'()*+,;=` (RFC 3986 section 3.2.2).
inline bool is_plain_reg_name(std::string_view host) noexcept {
    for (const char c : host) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') ||
                        std::string_view("-._~!$&'()*+,;=").find(c) != std::string_view::npos;
        if (!ok)
            return false;
    }
    return true;
}

/// Whether every byte of `text` may appear in a URI (RFC 3986 section 2: unreserved,
/// reserved, and '%').
inline bool has_only_uri_characters(std::string_view text) noexcept {
    for (const char c : text) {
        const bool ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            std::string_view("-._~:/?#[]@!$&'()*+,;=%").find(c) != std::string_view::npos;
        if (!ok)
            return false;
    }
    return true;
}

} // namespace detail

inline boost::system::result<endpoint_url> endpoint_url::parse(std::string_view text) {
    namespace urls = boost::urls;
    // Boost.URL 1.81's parse_uri asserts (in builds without NDEBUG) when the one byte after
    // the scheme's ':' is not a path character: "http: //h/", "http:\xAF", "http:?", "h:[".
    // Neither is an endpoint URL (which needs "//" and a host), so both cases are refused
    // before it: a byte no URI may hold (parse_uri would refuse it anyway), and "scheme:"
    // followed by exactly one of "?#[]".
    if (!detail::has_only_uri_characters(text))
        return make_error_code(error::invalid_url);
    if (const auto colon = text.find(':');
        colon != std::string_view::npos && text.size() == colon + 2 &&
        std::string_view("?#[]").find(text.back()) != std::string_view::npos)
        return make_error_code(error::invalid_url);
    const auto parsed = urls::parse_uri( // a URI: scheme required, fragment allowed
        urls::string_view(text.data(), text.size()));
    if (!parsed)
        return make_error_code(error::invalid_url);
    const urls::url_view& u = *parsed;

    endpoint_url r;
    if (u.scheme_id() == urls::scheme::https)
        r.origin_.tls = true;
    else if (u.scheme_id() != urls::scheme::http)
        return make_error_code(error::unsupported_url_scheme);
    if (u.has_userinfo())
        return make_error_code(error::url_has_credentials);

    switch (u.host_type()) {
    case urls::host_type::name:
        r.origin_.host = u.host(); // percent-decoded for the resolver
        // Decoded, a name may hold any byte. It goes to the resolver, into SNI, and into a
        // proxy's request line and CONNECT target: only what a name may hold unencoded
        // (RFC 3986 unreserved and sub-delims) is accepted, so that `%0D%0A`, `%20`, `%2F`,
        // `%3A` or `%40` cannot split a request or move the authority.
        if (!detail::is_plain_reg_name(r.origin_.host))
            return make_error_code(error::invalid_url);
        break;
    case urls::host_type::ipv4:
        r.origin_.host = std::string(u.encoded_host());
        break;
    case urls::host_type::ipv6:
        r.origin_.host = u.host_ipv6_address().to_string();
        break;
    default: // no host, or an IPvFuture literal
        return make_error_code(error::invalid_url);
    }
    if (r.origin_.host.empty())
        return make_error_code(error::invalid_url);

    if (u.has_port()) {
        // Checked here: port_number() wraps values above 65535.
        unsigned long port = 0;
        const std::string_view digits(u.port().data(), u.port().size());
        if (digits.empty() || digits.size() > 5)
            return make_error_code(error::invalid_url);
        for (const char c : digits)
            port = port * 10 + static_cast<unsigned long>(c - '0');
        if (port == 0 || port > 65535)
            return make_error_code(error::invalid_url);
        r.origin_.port = static_cast<std::uint16_t>(port);
    } else {
        r.origin_.port = r.origin_.tls ? 443 : 80;
    }

    // Boost.URL 1.81 takes `http://h:80x/` as port 80 and the path `x/`; after an authority
    // a path must be empty or start with '/' (RFC 3986 path-abempty), else the request line
    // would carry a target that is not in origin form.
    if (!u.encoded_path().empty() && u.encoded_path().front() != '/')
        return make_error_code(error::invalid_url);

    r.host_header_ = std::string(u.encoded_host_and_port());
    r.target_ = u.encoded_path().empty() ? "/" : std::string(u.encoded_path());
    if (u.has_query()) {
        r.target_ += '?';
        r.target_ += std::string_view(u.encoded_query());
    }
    return r;
}

inline endpoint_url::endpoint_url(std::string_view text) {
    auto r = parse(text);
    if (!r) // the message names the problem, never the URL, which may hold secrets
        boost::throw_exception(boost::system::system_error(r.error(), "endpoint URL"));
    *this = std::move(*r);
}

} // namespace webhook

#endif

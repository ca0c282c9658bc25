#ifndef WEBHOOK_TRANSPORT_IMPL_URL_HPP
#define WEBHOOK_TRANSPORT_IMPL_URL_HPP

#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace webhook {

inline boost::system::result<endpoint_url> endpoint_url::parse(std::string_view text) {
    namespace urls = boost::urls;
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

#ifndef WEBHOOK_TRANSPORT_URL_HPP
#define WEBHOOK_TRANSPORT_URL_HPP

#include <webhook/error.hpp>
#include <webhook/transport/origin.hpp>

#include <boost/system/result.hpp>

#include <string>
#include <string_view>

namespace webhook {

/** An endpoint URL, parsed once: the origin to connect to and the request target to send.

    Rules (Boost.URL does the parsing):
    - Only `http` and `https`; the default ports are 80 and 443.
    - The host may be a DNS name, an IPv4 literal or a bracketed IPv6 literal (`[::1]`).
    - The path and the query are sent exactly as written, percent-encoding included; an empty
      path is sent as `/`. A fragment (`#...`) is never sent: it is dropped.
    - A user name or password in the URL (`https://user:pass@host/`) is refused with
      `error::url_has_credentials`: configure authentication instead. No error names the URL's
      text, so credentials cannot leak through a message.
*/
class endpoint_url {
public:
    /** Parses `text`.
        @throws boost::system::system_error with `error::invalid_url`,
        `error::unsupported_url_scheme` or `error::url_has_credentials`. */
    explicit endpoint_url(std::string_view text);

    /// Parses `text` without throwing.
    static boost::system::result<endpoint_url> parse(std::string_view text);

    /// Scheme, host and port.
    const webhook::origin& origin() const noexcept { return origin_; }

    /// The origin-form request target: path and query as written, e.g. `/api/x?a=%20b`.
    std::string_view target() const noexcept { return target_; }

    /// The `Host` header value: host and port as written in the URL, e.g. `[::1]:8080`.
    std::string_view host_header() const noexcept { return host_header_; }

private:
    endpoint_url() = default;

    webhook::origin origin_;
    std::string target_;
    std::string host_header_;
};

} // namespace webhook

#include <webhook/transport/impl/url.hpp>

#endif

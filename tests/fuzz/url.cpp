// Endpoint URLs: webhook::endpoint_url::parse and the URL templates built on it
// (detail::url_template). An accepted URL must give an origin and a request target that can
// go on the wire as they are (no byte that would end or split a request line, a Host header
// or a proxy's absolute-form target), and that read back to the same thing. A template with
// placeholders, expanded with hostile member values, must still be such a URL with the
// same origin.
#include <webhook/transport/url.hpp>

#include <webhook/config/detail/url_template.hpp>

#include "fuzz_check.hpp"

#include <boost/describe/class.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

struct fuzz_event {
    std::string id;
    int number = 0;
    bool flag = false;
    char letter = 0;
};
BOOST_DESCRIBE_STRUCT(fuzz_event, (), (id, number, flag, letter))

bool is_wire_safe(std::string_view s) {
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c >= 0x7F)
            return false;
    }
    return true;
}

/// A host as the transport uses it: resolved, sent as SNI, written in a proxy's request line
/// (`http://host:port/...`) and in `CONNECT host:port`.
bool is_safe_host(const webhook::origin& o) {
    if (o.host.empty() || !is_wire_safe(o.host))
        return false;
    const bool v6 = o.host.find(':') != std::string::npos;
    for (const char c : o.host)
        if (c == '/' || c == '?' || c == '#' || c == '@' || c == '[' || c == ']' || c == '\\' ||
            c == '%' || (!v6 && c == ':'))
            return false;
    return true;
}

std::string scheme_of(const webhook::origin& o) {
    return o.tls ? "https://" : "http://";
}

void check_url(const webhook::endpoint_url& u) {
    FUZZ_CHECK(is_safe_host(u.origin()));
    FUZZ_CHECK(u.origin().port != 0);
    FUZZ_CHECK(!u.target().empty() && u.target().front() == '/');
    FUZZ_CHECK(is_wire_safe(u.target()) && u.target().find('#') == std::string_view::npos);
    FUZZ_CHECK(is_wire_safe(u.host_header()));
    // What goes on the wire reads back to the same URL.
    const std::string again_text =
        scheme_of(u.origin()) + std::string(u.host_header()) + std::string(u.target());
    const auto again = webhook::endpoint_url::parse(again_text);
    FUZZ_CHECK(again);
    FUZZ_CHECK(again->origin() == u.origin());
    FUZZ_CHECK(again->target() == u.target());
    FUZZ_CHECK(again->host_header() == u.host_header());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    const auto parsed = webhook::endpoint_url::parse(text);
    if (parsed)
        check_url(*parsed);
    else
        FUZZ_CHECK(parsed.error() == webhook::error::invalid_url ||
                   parsed.error() == webhook::error::unsupported_url_scheme ||
                   parsed.error() == webhook::error::url_has_credentials);

    const auto tpl = webhook::detail::url_template::parse(text);
    if (!tpl) {
        FUZZ_CHECK(!tpl.error().empty());
        return 0;
    }
    check_url(tpl->url());
    if (!tpl->has_placeholders()) {
        // Without placeholders a template is the plain URL.
        FUZZ_CHECK(parsed);
        FUZZ_CHECK(parsed->origin() == tpl->origin());
        FUZZ_CHECK(parsed->target() == tpl->url().target());
        return 0;
    }
    FUZZ_CHECK(!parsed || parsed->origin() == tpl->origin());
    if (tpl->check<fuzz_event>())
        return 0; // names something that is not a member
    // Values that would break out of a path segment or a query parameter if not encoded.
    const fuzz_event ev{"a b/.x/?x=1&y#z%41\r\n\x01\xff{id}", -42, true, '/'};
    std::string target;
    const auto ec = tpl->expand_target(ev, target);
    if (ec == webhook::error::url_placeholder_dot_segment)
        return 0; // the template's own dots around a value can make a dot segment: refused
    FUZZ_CHECK(!ec);
    const auto expanded = webhook::endpoint_url::parse(scheme_of(tpl->origin()) +
                                                       std::string(tpl->host_header()) + target);
    FUZZ_CHECK(expanded);
    FUZZ_CHECK(expanded->origin() == tpl->origin());
    FUZZ_CHECK(expanded->target() == target);
    return 0;
}

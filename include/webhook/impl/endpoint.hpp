#ifndef WEBHOOK_IMPL_ENDPOINT_HPP
#define WEBHOOK_IMPL_ENDPOINT_HPP

#include <webhook/detail/quote.hpp>
#include <webhook/detail/reserved_headers.hpp>
#include <webhook/detail/url_template.hpp>
#include <webhook/transport/request.hpp>
#include <webhook/transport/url.hpp>
#include <webhook/version.hpp>

#include <boost/asio/ip/address.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/stream_parser.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <limits>
#include <optional>
#include <ostream>
#include <sstream>
#include <system_error>

namespace webhook {

namespace detail {

inline std::string format_config_problems(const std::vector<config_problem>& problems) {
    std::string m = "endpoint configuration has " + std::to_string(problems.size()) +
                    (problems.size() == 1 ? " problem:" : " problems:");
    for (const config_problem& p : problems) {
        m += '\n';
        if (!p.path.empty())
            m.append(p.path).append(": ");
        m += p.message;
    }
    return m;
}

/// "10s", "1500ms", "5m", "2h": the largest unit that divides the value, as the loader reads it.
inline std::string format_duration(std::chrono::milliseconds d) {
    if (d == std::chrono::milliseconds::max())
        return "unlimited";
    const auto n = d.count();
    if (n == 0)
        return "0ms";
    if (n % 3'600'000 == 0)
        return std::to_string(n / 3'600'000) + "h";
    if (n % 60'000 == 0)
        return std::to_string(n / 60'000) + "m";
    if (n % 1'000 == 0)
        return std::to_string(n / 1'000) + "s";
    return std::to_string(n) + "ms";
}

/// A duration string: decimal digits, then `ms`, `s`, `m` or `h`. Nothing else, so that a
/// typo such as "10 s" or "10sec" is an error rather than a guess.
inline std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
        ++digits;
    if (digits == 0 || digits > 15) // keeps `value` in range; the product is checked below
        return std::nullopt;
    std::int64_t value = 0;
    for (std::size_t i = 0; i < digits; ++i)
        value = value * 10 + (text[i] - '0');
    const std::string_view unit = text.substr(digits);
    std::int64_t factor = 0;
    if (unit == "ms")
        factor = 1;
    else if (unit == "s")
        factor = 1'000;
    else if (unit == "m")
        factor = 60'000;
    else if (unit == "h")
        factor = 3'600'000;
    else
        return std::nullopt;
    if (value > std::numeric_limits<std::int64_t>::max() / factor)
        return std::nullopt;
    return std::chrono::milliseconds{value * factor};
}

/// The URL with anything that may be a credential replaced by `***`: user info (refused by
/// validation, but an unvalidated endpoint can still be printed) and the query, where
/// receivers often expect a token (`?code=...`, `?token=...`).
inline std::string redact_url(std::string_view url) {
    std::string out;
    std::size_t authority = url.find("://");
    authority = authority == std::string_view::npos ? 0 : authority + 3;
    const std::size_t authority_end = std::min(url.find_first_of("/?#", authority), url.size());
    const std::size_t at = url.substr(0, authority_end).rfind('@');
    if (at != std::string_view::npos && at >= authority)
        out.append(url.substr(0, authority))
            .append("***")
            .append(url.substr(at, authority_end - at));
    else
        out.append(url.substr(0, authority_end));
    const std::string_view rest = url.substr(authority_end);
    const std::size_t query = rest.find('?');
    if (query == std::string_view::npos)
        out.append(rest);
    else
        out.append(rest.substr(0, query)).append("?***");
    std::string escaped; // control characters and bytes that are not UTF-8 escaped
    append_escaped(escaped, out);
    return escaped;
}

/// Whether `o` is this machine: `localhost` (RFC 6761), or a loopback IP literal.
inline bool is_loopback_origin(const origin& o) {
    if (iequals(o.host, "localhost"))
        return true;
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(o.host, ec);
    return !ec && address.is_loopback();
}

/// Whether credentials sent to `o` would cross a network in clear text.
inline bool exposes_credentials(const origin& o) { return !o.tls && !is_loopback_origin(o); }

/// For header values: a tab is allowed there (RFC 9110), any other control character not.
inline bool has_control_character(std::string_view s) noexcept {
    return std::any_of(s.begin(), s.end(), [](char c) { return is_forbidden_in_value(c); });
}

/// For credentials: RFC 7617 and RFC 6750 allow no control character at all, tab included.
inline bool has_any_control_character(std::string_view s) noexcept {
    return std::any_of(s.begin(), s.end(), [](char ch) {
        const auto c = static_cast<unsigned char>(ch);
        return c < 0x20 || c == 0x7F;
    });
}

/** Why the file (or, with `directory`, the directory) at `path` cannot be read, as
    `cannot read "/etc/acme/ca.pem": No such file or directory`, or nothing. Only its type and
    whether it opens are checked: nothing is read, so that a check cannot block. */
inline std::optional<std::string> unreadable(const std::string& path, bool directory) {
    namespace fs = std::filesystem;
    const auto cannot_read = [&](const std::string& why) {
        return "cannot read " + quote_for_message(path) + ": " + why;
    };
    if (path.find('\0') != std::string::npos) // the C APIs would open a shorter path
        return cannot_read("the path contains a NUL character");
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (ec)
        return cannot_read(ec.message());
    if (directory) {
        if (!fs::is_directory(status))
            return cannot_read(std::generic_category().message(ENOTDIR));
        fs::directory_iterator listing(path, ec);
        if (ec)
            return cannot_read(ec.message());
        return std::nullopt;
    }
    if (fs::is_directory(status))
        return cannot_read(std::generic_category().message(EISDIR));
    if (!fs::is_regular_file(status)) // a FIFO or a device could block, or never end
        return cannot_read("not a regular file");
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f)
        return cannot_read(std::generic_category().message(errno));
    std::fclose(f);
    return std::nullopt;
}

} // namespace detail

inline const char* detail::header_refusal(const endpoint& e, std::string_view name) noexcept {
    if (name.empty())
        return "is empty";
    if (check_header(name, {}))
        return "is not a valid HTTP header name";
    header_settings settings;
    settings.authentication = !std::holds_alternative<no_auth>(e.authentication);
    settings.compression = e.compression != compression::none;
    if (const auto* hmac = std::get_if<hmac_header_signing>(&e.signing)) {
        settings.signature_header = hmac->header;
        settings.signature_timestamp_header = hmac->timestamp_header;
    }
    return reserved_header_refusal(name, settings);
}

inline config_error::config_error(std::vector<config_problem> problems)
    : std::runtime_error(detail::format_config_problems(problems)), problems_(std::move(problems)) {
}

inline std::vector<config_problem> validate(const endpoint& e) {
    using std::chrono::milliseconds;
    namespace http = boost::beast::http;
    std::vector<config_problem> problems;
    const auto problem = [&](std::string path, std::string message) {
        problems.push_back({std::move(path), std::move(message)});
    };
    // Messages never quote a value that may be a secret: the URL, passwords, tokens, header
    // values. They name the key and the rule instead.

    bool url_has_placeholders = false;
    bool url_exposes_credentials = false;
    if (e.url.empty()) {
        problem("url", "is required");
    } else {
        auto parsed = detail::url_template::parse(e.url);
        if (!parsed)
            problem("url", parsed.error());
        else {
            url_has_placeholders = parsed->has_placeholders();
            url_exposes_credentials = detail::exposes_credentials(parsed->origin());
        }
    }

    if (e.method != http::verb::post && e.method != http::verb::put &&
        e.method != http::verb::patch)
        problem("method", "must be POST, PUT or PATCH");
    if (e.data_format != data_format::json)
        problem("data_format", "only \"json\" is supported");

    if (const auto* basic = std::get_if<basic_auth>(&e.authentication)) {
        if (basic->username.empty())
            problem("authentication.username", "is empty");
        else if (basic->username.find(':') != std::string::npos)
            problem("authentication.username", "contains ':'"); // RFC 7617 cannot encode it
        if (detail::has_any_control_character(basic->username))
            problem("authentication.username", "contains a control character");
        if (detail::has_any_control_character(basic->password.reveal()))
            problem("authentication.password", "contains a control character");
    } else if (const auto* bearer = std::get_if<bearer_auth>(&e.authentication)) {
        const std::string& token = bearer->token.reveal();
        if (token.empty())
            problem("authentication.token", "is empty");
        else if (token.find(' ') != std::string::npos || detail::has_any_control_character(token))
            problem("authentication.token", "contains a space or a control character");
    } else if (const auto* oauth = std::get_if<oauth2_client_credentials>(&e.authentication)) {
        if (oauth->token_url.empty()) {
            problem("authentication.token_url", "is required");
        } else if (const auto token_url = endpoint_url::parse(oauth->token_url); !token_url) {
            problem("authentication.token_url", "is not a valid http or https URL");
        } else if (detail::exposes_credentials(token_url->origin()) &&
                   !e.insecure_allow_credentials_over_http) {
            problem("authentication.token_url",
                    "is plain http to a host that is not loopback: the client secret would "
                    "cross the network in clear text (use https, or set "
                    "insecure_allow_credentials_over_http)");
        }
        if (oauth->client_id.empty())
            problem("authentication.client_id", "is empty");
        else if (detail::has_any_control_character(oauth->client_id))
            problem("authentication.client_id", "contains a control character");
        if (detail::has_any_control_character(oauth->client_secret.reveal()))
            problem("authentication.client_secret", "contains a control character");
        if (detail::has_any_control_character(oauth->scope))
            problem("authentication.scope", "contains a control character");
        if (detail::has_any_control_character(oauth->audience))
            problem("authentication.audience", "contains a control character");
        if (oauth->client_authentication != oauth2_client_authentication::basic &&
            oauth->client_authentication != oauth2_client_authentication::request_body)
            problem("authentication.client_authentication",
                    "must be \"basic\" or \"request_body\"");
        if (oauth->refresh_skew.count() < 0)
            problem("authentication.refresh_skew", "must not be negative");
    }

    const bool has_authorization = !std::holds_alternative<no_auth>(e.authentication);
    if (has_authorization && url_exposes_credentials && !e.insecure_allow_credentials_over_http)
        problem("authentication",
                "would be sent over plain http to a host that is not loopback, readable by "
                "anyone on the path (use https, or set insecure_allow_credentials_over_http)");
    for (auto& p : validate(e.signing))
        problem("signing." + p.path, std::move(p.message));
    if (const auto* hmac = std::get_if<hmac_header_signing>(&e.signing);
        hmac && has_authorization) {
        // The signer would replace the Authorization header with the signature.
        if (detail::iequals(hmac->header, "Authorization"))
            problem("signing.header", "conflicts with authentication");
        if (detail::iequals(hmac->timestamp_header, "Authorization"))
            problem("signing.timestamp_header", "conflicts with authentication");
    }
    if (!std::holds_alternative<no_signing>(e.signing) && url_exposes_credentials &&
        !e.insecure_allow_credentials_over_http)
        problem("signing",
                "signed requests would go over plain http to a host that is not loopback, open "
                "to capture and replay (use https, or set insecure_allow_credentials_over_http)");
    for (std::size_t i = 0; i < e.headers.size(); ++i) {
        const header_field& h = e.headers[i];
        const std::string at = "headers[" + std::to_string(i) + "]";
        if (const char* why = detail::header_refusal(e, h.name))
            problem(at + ".name", why);
        if (detail::has_control_character(h.value.reveal()))
            problem(at + ".value", "contains a control character");
    }
    if (detail::has_control_character(e.user_agent))
        problem("user_agent", "contains a control character");

    const auto positive = [&](const char* path, milliseconds d) {
        if (d <= milliseconds{0})
            problem(path, "must be greater than 0");
    };
    const auto not_negative = [&](std::string path, milliseconds d) {
        if (d < milliseconds{0})
            problem(std::move(path), "must not be negative");
    };
    positive("timeouts.connect", e.timeouts.connect);
    positive("timeouts.handshake", e.timeouts.handshake);
    positive("timeouts.request", e.timeouts.request);
    positive("timeouts.idle", e.timeouts.idle);

    const retry_policy& r = e.retry;
    if (r.max_attempts < 1)
        problem("retry.max_attempts", "must be at least 1");
    else if (!r.schedule.empty() && r.max_attempts != r.schedule.size() + 1)
        problem("retry.max_attempts", "must be " + std::to_string(r.schedule.size() + 1) +
                                          " with a schedule of " +
                                          std::to_string(r.schedule.size()) +
                                          " delays (the first attempt and one retry per delay)");
    not_negative("retry.initial_delay", r.initial_delay);
    if (!(r.multiplier >= 1.0) || !std::isfinite(r.multiplier)) // NaN fails >= too
        problem("retry.multiplier", "must be a finite number of at least 1");
    not_negative("retry.max_delay", r.max_delay);
    not_negative("retry.max_total_time", r.max_total_time);
    for (std::size_t i = 0; i < r.schedule.size(); ++i)
        not_negative("retry.schedule[" + std::to_string(i) + "]", r.schedule[i]);

    if (!e.tls.private_key_file.empty() && e.tls.certificate_file.empty())
        problem("tls.private_key_file", "is set but tls.certificate_file is not");
    if (!e.tls.certificate_file.empty() && e.tls.private_key_file.empty())
        problem("tls.certificate_file", "is set but tls.private_key_file is not");
    // The transport opens these when it is made; a missing file is a configuration error to
    // report here, by its key, rather than an exception from deep inside OpenSSL later.
    const auto readable = [&](const char* path, const std::string& file, bool directory) {
        if (!file.empty())
            if (auto why = detail::unreadable(file, directory))
                problem(path, std::move(*why));
    };
    if (!e.tls.insecure_skip_verification) { // else the transport does not load them
        readable("tls.ca_file", e.tls.ca_file, false);
        readable("tls.ca_directory", e.tls.ca_directory, true);
    }
    readable("tls.certificate_file", e.tls.certificate_file, false);
    readable("tls.private_key_file", e.tls.private_key_file, false);

    if (!e.proxy.empty()) {
        const auto proxy = endpoint_url::parse(e.proxy);
        if (!proxy || proxy->origin().tls || proxy->target() != "/" ||
            e.proxy.find('#') != std::string::npos)
            problem("proxy", "must be http://host:port");
    }

    for (std::size_t i = 0; i < e.hosts.size(); ++i) {
        const std::string at = "hosts[" + std::to_string(i) + "]";
        if (e.hosts[i].host.empty())
            problem(at + ".host", "is empty");
        if (e.hosts[i].addresses.empty())
            problem(at + ".addresses", "is empty");
    }

    // `ordered` needs no check against max_in_flight: it overrides it (one request in flight).
    if (e.max_in_flight < 1)
        problem("max_in_flight", "must be at least 1");

    if (e.queue.capacity < 1)
        problem("queue.capacity", "must be at least 1");
    not_negative("queue.block_timeout", e.queue.block_timeout);

    if (!std::isfinite(e.rate_limit.per_second) || e.rate_limit.per_second < 0)
        problem("rate_limit.per_second", "must be a finite number, 0 or more");
    else if (e.rate_limit.per_second > 0 && e.rate_limit.burst < 1)
        problem("rate_limit.burst", "must be at least 1 when per_second is set");

    if (e.batch.max_events < 1)
        problem("batch.max_events", "must be at least 1");
    else if (e.batch.max_events > 1 && url_has_placeholders)
        problem("batch.max_events",
                "must be 1 when the URL has placeholders (a batch has no single event to fill "
                "them from)");
    if (e.batch.max_bytes < 1)
        problem("batch.max_bytes", "must be greater than 0");
    not_negative("batch.linger", e.batch.linger);

    if (e.compression != compression::none && e.compression != compression::gzip)
        problem("compression", "must be \"none\" or \"gzip\"");
    if (e.max_body_size < 1)
        problem("max_body_size", "must be greater than 0");
    if (e.max_response_body < 1)
        problem("max_response_body", "must be greater than 0");

    if (e.circuit_breaker.failures > 0 && e.circuit_breaker.cool_down <= milliseconds{0})
        problem("circuit_breaker.cool_down", "must be greater than 0 when failures is set");
    not_negative("max_event_age", e.max_event_age);
    return problems;
}

namespace detail {

/** Reads an endpoint out of a parsed configuration document, collecting every problem.

    Rules that apply to every key: `null` means "not given" (the default applies); an unknown
    key is a problem, with a suggestion when it is a near miss of a known one; a value of the
    wrong type is a problem and leaves the default. A section with a problem in a secret
    (authentication, one header) is left out of the endpoint altogether, so that validation
    does not report the same mistake a second time. */
class endpoint_loader {
public:
    endpoint e;
    std::vector<config_problem> problems;

    void load(const boost::json::value& root);

    /// Validation speaks of the endpoint's members (`headers[0].value`); the operator wrote
    /// JSON (`headers.X-Api-Key`, `authentication.password_env`). These map one to the other.
    std::string json_path_of(const std::string& member_path) const {
        for (const auto& [from, to] : renames_) {
            if (member_path.compare(0, from.size(), from) != 0)
                continue;
            if (member_path.size() == from.size() || member_path[from.size()] == '.' ||
                member_path[from.size()] == '[')
                return to + member_path.substr(from.size());
        }
        return member_path;
    }

private:
    using value = boost::json::value;
    using object = boost::json::object;
    using names = std::initializer_list<std::string_view>;

    std::vector<std::pair<std::string, std::string>> renames_;

    void problem(std::string path, std::string message) {
        problems.push_back({std::move(path), std::move(message)});
    }

    // A mark to ask "was anything wrong since?" for one section.
    std::size_t mark() const noexcept { return problems.size(); }
    bool clean_since(std::size_t m) const noexcept { return problems.size() == m; }

    static bool is_plain_key(std::string_view key) noexcept {
        if (key.empty())
            return false;
        for (const char c : key)
            if (!is_token_char(c) || c == '.') // a dot would read as a level of nesting
                return false;
        return true;
    }

public:
    /// `parent.key`, or `parent["odd key"]` when the key is not a plain word.
    static std::string key_path(const std::string& parent, std::string_view key) {
        if (!is_plain_key(key))
            return parent + "[" + quote_for_message(key) + "]";
        return parent.empty() ? std::string(key) : parent + "." + std::string(key);
    }

private:
    static std::string index_path(const std::string& parent, std::size_t i) {
        return parent + "[" + std::to_string(i) + "]";
    }

    /// Optimal string alignment distance: one for a swap of two neighbours (`retyr`).
    static std::size_t edit_distance(std::string_view a, std::string_view b) {
        std::vector<std::vector<std::size_t>> d(a.size() + 1,
                                                std::vector<std::size_t>(b.size() + 1));
        for (std::size_t i = 0; i <= a.size(); ++i)
            d[i][0] = i;
        for (std::size_t j = 0; j <= b.size(); ++j)
            d[0][j] = j;
        for (std::size_t i = 1; i <= a.size(); ++i)
            for (std::size_t j = 1; j <= b.size(); ++j) {
                const std::size_t cost = ascii_lower(a[i - 1]) == ascii_lower(b[j - 1]) ? 0 : 1;
                d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
            }
        return d[a.size()][b.size()];
    }

    void unknown_key(const std::string& path, std::string_view key, names known) {
        std::string_view best;
        std::size_t best_distance = 3; // two edits at most: beyond that it is a guess
        for (const std::string_view k : known) {
            if (key.size() > k.size() + 2) // cannot be within two edits; bounds the work too
                continue;
            const std::size_t dist = edit_distance(key, k);
            if (dist < best_distance && dist < std::max<std::size_t>(k.size(), 2)) {
                best = k;
                best_distance = dist;
            }
        }
        problem(path, best.empty() ? std::string("unknown key")
                                   : "unknown key (did you mean \"" + std::string(best) + "\"?)");
    }

    static bool contains(names known, std::string_view key) {
        return std::find(known.begin(), known.end(), key) != known.end();
    }

    /// Calls `f(key, value, path)` for each member of `v` that is a known, non-null key.
    template <class F>
    void members(const value& v, const std::string& path, names known, F&& f) {
        const object* obj = v.if_object();
        if (!obj) {
            problem(path, "must be an object");
            return;
        }
        for (const auto& member : *obj) {
            const std::string_view key = member.key();
            const std::string at = key_path(path, key);
            if (!contains(known, key))
                unknown_key(at, key, known);
            else if (!member.value().is_null())
                f(key, member.value(), at);
        }
    }

    // Typed readers: the value, or a problem and nothing.

    std::optional<std::string> string(const value& v, const std::string& path) {
        if (const auto* s = v.if_string())
            return std::string(*s);
        problem(path, "must be a string");
        return std::nullopt;
    }

    std::optional<bool> boolean(const value& v, const std::string& path) {
        if (const auto* b = v.if_bool())
            return *b;
        problem(path, "must be true or false");
        return std::nullopt;
    }

    std::optional<double> number(const value& v, const std::string& path) {
        if (v.is_number())
            return v.to_number<double>();
        problem(path, "must be a number");
        return std::nullopt;
    }

    /// A whole number of either sign. `8.0` and `1e3` count: JSON does not tell them apart.
    std::optional<std::int64_t> whole_number(const value& v) {
        if (const auto* i = v.if_int64())
            return *i;
        if (const auto* u = v.if_uint64())
            return *u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
                       ? std::nullopt
                       : std::optional<std::int64_t>(static_cast<std::int64_t>(*u));
        if (const auto* d = v.if_double())
            if (std::trunc(*d) == *d && std::abs(*d) < 9.0e15)
                return static_cast<std::int64_t>(*d);
        return std::nullopt;
    }

    std::optional<std::size_t> count(const value& v, const std::string& path) {
        const auto n = whole_number(v);
        if (n && *n >= 0)
            return static_cast<std::size_t>(*n);
        problem(path, "must be a whole number, 0 or more");
        return std::nullopt;
    }

    std::optional<std::chrono::milliseconds> duration(const value& v, const std::string& path,
                                                      bool may_be_unlimited = false) {
        if (const auto n = whole_number(v))
            return std::chrono::milliseconds{*n};
        if (const auto* s = v.if_string()) {
            if (may_be_unlimited && *s == "unlimited")
                return std::chrono::milliseconds::max();
            if (const auto d = parse_duration(*s))
                return d;
        }
        problem(path, may_be_unlimited
                          ? "must be a duration: whole milliseconds, a string such as \"500ms\", "
                            "\"10s\", \"5m\", \"2h\", or \"unlimited\""
                          : "must be a duration: whole milliseconds, or a string such as "
                            "\"500ms\", \"10s\", \"5m\", \"2h\"");
        return std::nullopt;
    }

    /// One of `choices` (compared without case), as its index.
    std::optional<std::size_t> choice(const value& v, const std::string& path, names choices) {
        if (const auto* s = v.if_string()) {
            std::size_t i = 0;
            for (const std::string_view c : choices) {
                if (iequals(*s, c))
                    return i;
                ++i;
            }
        }
        std::string m = "must be ";
        std::size_t i = 0;
        for (const std::string_view c : choices) {
            if (i > 0)
                m += i + 1 == choices.size() ? " or " : ", ";
            m.append("\"").append(c).append("\"");
            ++i;
        }
        problem(path, std::move(m));
        return std::nullopt;
    }

    static std::optional<std::string> read_whole_file(const std::string& path, std::string& error) {
        std::FILE* f = std::fopen(path.c_str(), "rb");
        if (!f) {
            error = std::generic_category().message(errno);
            return std::nullopt;
        }
        std::string content;
        char buffer[4096];
        std::size_t n = 0;
        while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0)
            content.append(buffer, n);
        const bool failed = std::ferror(f) != 0;
        const int saved = errno; // a directory fails here, with EISDIR
        std::fclose(f);
        if (failed) {
            error = std::generic_category().message(saved);
            return std::nullopt;
        }
        return content;
    }

    /** A secret from exactly one of `<base>`, `<base>_env`, `<base>_file` of `obj`. Problems
        name the variable or the file, never the value. On success, validation problems
        about `member_path` are reported under the key the operator used. */
    std::optional<secret> secret_from(const object& obj, const std::string& path,
                                      const std::string& base, const std::string& member_path) {
        const std::string keys[] = {base, base + "_env", base + "_file"};
        const value* given = nullptr;
        std::size_t which = 0;
        std::size_t found = 0;
        for (std::size_t i = 0; i < 3; ++i) {
            const auto* v = obj.if_contains(keys[i]);
            if (v && !v->is_null()) {
                given = v;
                which = i;
                ++found;
            }
        }
        if (found == 0) {
            problem(key_path(path, base), "is required (or " + keys[1] + ", or " + keys[2] + ")");
            return std::nullopt;
        }
        if (found > 1) {
            problem(path, "give only one of " + keys[0] + ", " + keys[1] + ", " + keys[2]);
            return std::nullopt;
        }
        const std::string at = key_path(path, keys[which]);
        const auto text = string(*given, at);
        if (!text)
            return std::nullopt;
        renames_.emplace_back(member_path, at);
        if (which == 0)
            return secret(*text);
        if (text->empty() || text->find('\0') != std::string::npos) {
            problem(at, which == 1 ? "must name an environment variable" : "must name a file");
            return std::nullopt;
        }
        if (which == 1) {
            const char* env = std::getenv(text->c_str());
            if (!env) {
                problem(at, "environment variable " + quote_for_message(*text) + " is not set");
                return std::nullopt;
            }
            return secret(env);
        }
        std::string error;
        auto content = read_whole_file(*text, error);
        if (!content) {
            problem(at, "cannot read " + quote_for_message(*text) + ": " + error);
            return std::nullopt;
        }
        // Editors and `echo` end files with a line break; no secret ends with one.
        while (!content->empty() && (content->back() == '\n' || content->back() == '\r'))
            content->pop_back();
        return secret(std::move(*content));
    }

    /** The `type` of a section such as `authentication`: one of `types`, whose keys are the
        matching entry of `keys` ("type" included). A key of another type is "not used with
        type ...", any other is unknown. @return the type's index, or none after a problem. */
    std::optional<std::size_t> section_type(const object& obj, const std::string& path,
                                            names types, std::initializer_list<names> keys) {
        const value* type_value = obj.if_contains("type");
        if (!type_value || type_value->is_null()) {
            std::string list;
            for (auto it = types.begin(); it != types.end(); ++it)
                list.append(it == types.begin()          ? ""
                            : std::next(it) == types.end() ? " or "
                                                           : ", ")
                    .append("\"")
                    .append(*it)
                    .append("\"");
            problem(key_path(path, "type"), "is required: " + list);
            return std::nullopt;
        }
        const auto type = choice(*type_value, key_path(path, "type"), types);
        if (!type)
            return std::nullopt;
        const names known = *(keys.begin() + *type);
        for (const auto& member : obj) {
            const std::string_view key = member.key();
            if (contains(known, key))
                continue;
            if (std::any_of(keys.begin(), keys.end(), [&](names k) { return contains(k, key); }))
                problem(key_path(path, key), "is not used with type \"" +
                                                 std::string(*(types.begin() + *type)) + "\"");
            else
                unknown_key(key_path(path, key), key, known);
        }
        return type;
    }

    void load_authentication(const value& v, const std::string& path) {
        const object* obj = v.if_object();
        if (!obj) {
            problem(path, "must be an object with a \"type\"");
            return;
        }
        const std::size_t before = mark();
        const auto type =
            section_type(*obj, path, {"none", "basic", "bearer", "oauth2_client_credentials"},
                         {{"type"},
                          {"type", "username", "password", "password_env", "password_file"},
                          {"type", "token", "token_env", "token_file"},
                          {"type", "token_url", "client_id", "client_secret", "client_secret_env",
                           "client_secret_file", "scope", "audience", "client_authentication",
                           "refresh_skew"}});
        if (!type)
            return;
        const auto required_string = [&](std::string_view key) -> std::optional<std::string> {
            const value* x = obj->if_contains(key);
            if (!x || x->is_null()) {
                problem(key_path(path, key), "is required");
                return std::nullopt;
            }
            return string(*x, key_path(path, key));
        };
        const auto optional_string = [&](std::string_view key) -> std::string {
            const value* x = obj->if_contains(key);
            if (!x || x->is_null())
                return {};
            return string(*x, key_path(path, key)).value_or(std::string());
        };
        if (*type == 1) {
            basic_auth basic;
            if (auto name = required_string("username"))
                basic.username = std::move(*name);
            if (auto pw = secret_from(*obj, path, "password", "authentication.password"))
                basic.password = std::move(*pw);
            if (clean_since(before))
                e.authentication = std::move(basic);
        } else if (*type == 2) {
            auto token = secret_from(*obj, path, "token", "authentication.token");
            if (token && clean_since(before))
                e.authentication = bearer_auth{std::move(*token)};
        } else if (*type == 3) {
            oauth2_client_credentials oauth;
            if (auto url = required_string("token_url"))
                oauth.token_url = std::move(*url);
            if (auto id = required_string("client_id"))
                oauth.client_id = std::move(*id);
            if (auto s = secret_from(*obj, path, "client_secret", "authentication.client_secret"))
                oauth.client_secret = std::move(*s);
            oauth.scope = optional_string("scope");
            oauth.audience = optional_string("audience");
            if (const value* x = obj->if_contains("client_authentication"); x && !x->is_null())
                if (const auto how = choice(*x, key_path(path, "client_authentication"),
                                            {"basic", "request_body"}))
                    oauth.client_authentication = *how == 0
                                                      ? oauth2_client_authentication::basic
                                                      : oauth2_client_authentication::request_body;
            if (const value* x = obj->if_contains("refresh_skew"); x && !x->is_null())
                if (const auto d = duration(*x, key_path(path, "refresh_skew")))
                    oauth.refresh_skew = std::chrono::duration_cast<std::chrono::seconds>(*d);
            if (clean_since(before))
                e.authentication = std::move(oauth);
        } else {
            e.authentication = no_auth{};
        }
    }

    /// One header from `{"name": ..., "value" | "value_env" | "value_file": ...}` (array form)
    /// or a value that is a string or `{"value_env": ...}` (object form, `name` given).
    void load_header(const value& v, const std::string& path, std::optional<std::string> name) {
        const std::string member = "headers[" + std::to_string(e.headers.size()) + "]";
        if (name && v.is_string()) {
            renames_.emplace_back(member + ".name", path);
            renames_.emplace_back(member + ".value", path);
            e.headers.push_back({std::move(*name), secret(std::string(v.get_string()))});
            return;
        }
        const object* obj = v.if_object();
        if (!obj) {
            problem(path, name ? "must be a string, or an object with value, value_env or "
                                 "value_file"
                               : "must be an object with name and value");
            return;
        }
        const std::size_t before = mark();
        const std::size_t renames_before = renames_.size();
        const names named_keys = {"value", "value_env", "value_file"};
        const names element_keys = {"name", "value", "value_env", "value_file"};
        const names known = name ? named_keys : element_keys;
        for (const auto& m : *obj)
            if (!contains(known, m.key()))
                unknown_key(key_path(path, m.key()), m.key(), known);
        if (name) {
            renames_.emplace_back(member + ".name", path);
        } else {
            const value* n = obj->if_contains("name");
            if (!n || n->is_null())
                problem(key_path(path, "name"), "is required");
            else
                name = string(*n, key_path(path, "name"));
            renames_.emplace_back(member + ".name", key_path(path, "name"));
        }
        auto value = secret_from(*obj, path, "value", member + ".value");
        if (value && name && clean_since(before))
            e.headers.push_back({std::move(*name), std::move(*value)});
        else // the index is the next header's: these names are not its
            renames_.resize(renames_before);
    }

    /** `{"type": "standard_webhooks", "keys": [...]}`, each key a string or an object with
        `key`, `key_env` or `key_file`; or `{"type": "hmac", "key": ..., "header": ...}`. */
    void load_signing(const value& v, const std::string& path) {
        const object* obj = v.if_object();
        if (!obj) {
            problem(path, "must be an object with a \"type\"");
            return;
        }
        const std::size_t before = mark();
        const auto type = section_type(
            *obj, path, {"none", "standard_webhooks", "hmac"},
            {{"type"},
             {"type", "keys"},
             {"type", "key", "key_env", "key_file", "header", "prefix", "algorithm", "encoding",
              "timestamp_header"}});
        if (!type)
            return;
        if (*type == 0) {
            e.signing = no_signing{};
        } else if (*type == 1) {
            standard_webhooks_signing standard;
            const value* keys = obj->if_contains("keys");
            const std::string at = key_path(path, "keys");
            if (!keys || keys->is_null()) {
                problem(at, "is required: an array of whsec_ or whsk_ keys");
            } else if (const auto* arr = keys->if_array()) {
                for (std::size_t i = 0; i < arr->size(); ++i) {
                    const std::string item = index_path(at, i);
                    const std::string member = "signing.keys[" + std::to_string(i) + "]";
                    const value& k = (*arr)[i];
                    if (k.is_string()) {
                        standard.keys.emplace_back(std::string(k.get_string()));
                        renames_.emplace_back(member, item);
                    } else if (const auto* ko = k.if_object()) {
                        for (const auto& m : *ko)
                            if (!contains({"key", "key_env", "key_file"}, m.key()))
                                unknown_key(key_path(item, m.key()), m.key(),
                                            {"key", "key_env", "key_file"});
                        if (auto key = secret_from(*ko, item, "key", member))
                            standard.keys.push_back(std::move(*key));
                    } else {
                        problem(item, "must be a string, or an object with key, key_env or "
                                      "key_file");
                    }
                }
            } else {
                problem(at, "must be an array of keys");
            }
            if (clean_since(before))
                e.signing = std::move(standard);
        } else {
            hmac_header_signing hmac;
            if (auto key = secret_from(*obj, path, "key", "signing.key"))
                hmac.key = std::move(*key);
            const auto text = [&](std::string_view key, std::string& out) {
                if (const value* x = obj->if_contains(key); x && !x->is_null())
                    if (auto t = string(*x, key_path(path, key)))
                        out = std::move(*t);
            };
            text("header", hmac.header);
            text("prefix", hmac.prefix);
            text("timestamp_header", hmac.timestamp_header);
            if (const value* x = obj->if_contains("algorithm"); x && !x->is_null())
                if (const auto a = choice(*x, key_path(path, "algorithm"), {"sha256", "sha512"}))
                    hmac.algorithm = *a == 0 ? hmac_algorithm::sha256 : hmac_algorithm::sha512;
            if (const value* x = obj->if_contains("encoding"); x && !x->is_null())
                if (const auto c = choice(*x, key_path(path, "encoding"), {"hex", "base64"}))
                    hmac.encoding = *c == 0 ? signature_encoding::hex : signature_encoding::base64;
            if (clean_since(before))
                e.signing = std::move(hmac);
        }
    }

    /// `{"api.example.com": ["10.0.0.5", "fd00::5"]}`.
    void load_hosts(const value& v, const std::string& path) {
        const object* obj = v.if_object();
        if (!obj) {
            problem(path, "must be an object of host name: [addresses]");
            return;
        }
        for (const auto& m : *obj) {
            const std::string at = key_path(path, m.key());
            const auto* arr = m.value().if_array();
            if (!arr || arr->empty()) {
                problem(at, "must be a non-empty array of IP addresses");
                continue;
            }
            host_mapping mapping{std::string(m.key()), {}};
            const std::size_t before = mark();
            for (std::size_t i = 0; i < arr->size(); ++i) {
                const auto text = string((*arr)[i], index_path(at, i));
                if (!text)
                    continue;
                boost::system::error_code ec;
                const auto address = boost::asio::ip::make_address(*text, ec);
                if (ec)
                    problem(index_path(at, i), "is not an IP address");
                else
                    mapping.addresses.push_back(address);
            }
            if (clean_since(before)) // else validation would report the same mistake again
                e.hosts.push_back(std::move(mapping));
        }
    }

    void load_headers(const value& v, const std::string& path) {
        if (const auto* arr = v.if_array()) {
            for (std::size_t i = 0; i < arr->size(); ++i)
                load_header((*arr)[i], index_path(path, i), std::nullopt);
        } else if (const auto* obj = v.if_object()) {
            for (const auto& m : *obj)
                load_header(m.value(), key_path(path, m.key()), std::string(m.key()));
        } else {
            problem(path, "must be an object of name: value, or an array of {name, value}");
        }
    }

    void load_retry(const value& v, const std::string& path) {
        if (const auto* s = v.if_string(); s && iequals(*s, "none")) {
            e.retry = retry_policy::none();
            return;
        }
        if (!v.is_object()) {
            problem(path, "must be an object, or \"none\"");
            return;
        }
        retry_policy r;
        // A schedule first: it sets its own defaults (as retry_policy::fixed_schedule), which
        // the other keys may then override, whatever their order in the document.
        if (const value* s = v.get_object().if_contains("schedule"); s && !s->is_null()) {
            const std::string at = key_path(path, "schedule");
            if (const auto* arr = s->if_array()) {
                std::vector<std::chrono::milliseconds> delays;
                const std::size_t before = mark();
                for (std::size_t i = 0; i < arr->size(); ++i)
                    if (const auto d = duration((*arr)[i], index_path(at, i)))
                        delays.push_back(*d);
                if (clean_since(before))
                    r = retry_policy::fixed_schedule(std::move(delays));
            } else {
                problem(at, "must be an array of durations");
            }
        }
        members(v, path,
                {"max_attempts", "initial_delay", "multiplier", "max_delay", "max_total_time",
                 "schedule", "retryable_statuses"},
                [&](std::string_view key, const value& x, const std::string& at) {
                    if (key == "max_attempts") {
                        if (auto n = count(x, at))
                            r.max_attempts = *n;
                    } else if (key == "initial_delay") {
                        if (auto d = duration(x, at))
                            r.initial_delay = *d;
                    } else if (key == "multiplier") {
                        if (auto m = number(x, at))
                            r.multiplier = *m;
                    } else if (key == "max_delay") {
                        if (auto d = duration(x, at, true))
                            r.max_delay = *d;
                    } else if (key == "max_total_time") {
                        if (auto d = duration(x, at, true))
                            r.max_total_time = *d;
                    } else if (key == "retryable_statuses") {
                        if (auto s = statuses(x, at))
                            r.retryable_statuses = *s;
                    }
                });
        e.retry = std::move(r);
    }

    /// `[408, 429, "5xx"]`: status codes, or a whole class written as `"4xx"` / `"5xx"`.
    std::optional<status_set> statuses(const value& v, const std::string& path) {
        const auto* arr = v.if_array();
        if (!arr) {
            problem(path, "must be an array of status codes");
            return std::nullopt;
        }
        status_set set;
        const std::size_t before = mark();
        for (std::size_t i = 0; i < arr->size(); ++i) {
            const value& x = (*arr)[i];
            if (const auto* s = x.if_string(); s && s->size() == 3 && (*s)[0] >= '1' &&
                                               (*s)[0] <= '5' && ascii_lower((*s)[1]) == 'x' &&
                                               ascii_lower((*s)[2]) == 'x') {
                const int first = ((*s)[0] - '0') * 100;
                for (int status = first; status < first + 100; ++status)
                    set.insert(status);
                continue;
            }
            const auto n = whole_number(x);
            if (!n || *n < 100 || *n > 599 || !set.insert(static_cast<int>(*n)))
                problem(index_path(path, i),
                        "must be a status code from 100 to 599, or a class such as \"5xx\"");
        }
        if (!clean_since(before))
            return std::nullopt;
        return set;
    }
};

inline void endpoint_loader::load(const boost::json::value& root) {
    namespace http = boost::beast::http;
    bool max_in_flight_given = false;
    // clang-format off
    const names top = {"url", "method", "data_format", "data_location", "authentication",
                       "headers", "signing", "user_agent", "timeouts", "retry", "tls", "proxy", "destinations", "hosts",
                       "max_in_flight", "ordered", "queue", "rate_limit", "batch", "compression",
                       "max_body_size", "max_response_body", "circuit_breaker",
                       "max_event_age", "insecure_allow_credentials_over_http"};
    // clang-format on
    members(root, "", top, [&](std::string_view key, const value& v, const std::string& at) {
        if (key == "url") {
            if (auto s = string(v, at))
                e.url = std::move(*s);
        } else if (key == "method") {
            if (auto m = choice(v, at, {"POST", "PUT", "PATCH"}))
                e.method = *m == 0   ? http::verb::post
                           : *m == 1 ? http::verb::put
                                     : http::verb::patch;
        } else if (key == "data_format") {
            const auto* s = v.if_string();
            if (s && iequals(*s, "json"))
                e.data_format = data_format::json;
            else
                problem(at, "only \"json\" is supported");
        } else if (key == "data_location") {
            if (auto s = string(v, at)) {
                auto path = data_path::parse(*s);
                if (path)
                    e.data_location = std::move(*path);
                else // the document holds the text: the offset says where
                    problem(at, describe_path_problem(path.error().code, path.error().offset));
            }
        } else if (key == "authentication") {
            load_authentication(v, at);
        } else if (key == "headers") {
            load_headers(v, at);
        } else if (key == "signing") {
            load_signing(v, at);
        } else if (key == "user_agent") {
            if (auto s = string(v, at))
                e.user_agent = std::move(*s);
        } else if (key == "timeouts") {
            members(v, at, {"connect", "handshake", "request", "idle"},
                    [&](std::string_view k, const value& x, const std::string& p) {
                        if (const auto d = duration(x, p))
                            (k == "connect"     ? e.timeouts.connect
                             : k == "handshake" ? e.timeouts.handshake
                             : k == "request"   ? e.timeouts.request
                                                : e.timeouts.idle) = *d;
                    });
        } else if (key == "retry") {
            load_retry(v, at);
        } else if (key == "tls") {
            members(v, at,
                    {"ca_file", "ca_directory", "certificate_file", "private_key_file",
                     "insecure_skip_verification"},
                    [&](std::string_view k, const value& x, const std::string& p) {
                        if (k == "insecure_skip_verification") {
                            if (auto b = boolean(x, p))
                                e.tls.insecure_skip_verification = *b;
                        } else if (auto s = string(x, p)) {
                            (k == "ca_file"            ? e.tls.ca_file
                             : k == "ca_directory"     ? e.tls.ca_directory
                             : k == "certificate_file" ? e.tls.certificate_file
                                                       : e.tls.private_key_file) = std::move(*s);
                        }
                    });
        } else if (key == "destinations") {
            members(v, at, {"public_only", "allow"},
                    [&](std::string_view k, const value& x, const std::string& p) {
                        if (k == "public_only") {
                            if (auto b = boolean(x, p))
                                e.destinations.public_only = *b;
                        } else if (const auto* arr = x.if_array()) {
                            for (std::size_t i = 0; i < arr->size(); ++i) {
                                const auto text = string((*arr)[i], index_path(p, i));
                                if (!text)
                                    continue;
                                if (auto range = ip_range::parse(*text))
                                    e.destinations.allow.push_back(*range);
                                else
                                    problem(index_path(p, i),
                                            "is not an address or a range such as 10.0.0.0/8 "
                                            "or fd00::/8");
                            }
                        } else {
                            problem(p, "must be an array of address ranges");
                        }
                    });
        } else if (key == "hosts") {
            load_hosts(v, at);
        } else if (key == "proxy") {
            if (auto s = string(v, at))
                e.proxy = std::move(*s);
        } else if (key == "max_in_flight") {
            if (auto n = count(v, at)) {
                e.max_in_flight = *n;
                max_in_flight_given = true;
            }
        } else if (key == "ordered") {
            if (auto b = boolean(v, at))
                e.ordered = *b;
        } else if (key == "queue") {
            members(v, at, {"capacity", "when_full", "block_timeout"},
                    [&](std::string_view k, const value& x, const std::string& p) {
                        if (k == "capacity") {
                            if (auto n = count(x, p))
                                e.queue.capacity = *n;
                        } else if (k == "when_full") {
                            if (auto c = choice(x, p, {"block", "reject", "drop_oldest"}))
                                e.queue.when_full = static_cast<overflow_policy>(*c);
                        } else if (auto d = duration(x, p)) {
                            e.queue.block_timeout = *d;
                        }
                    });
        } else if (key == "rate_limit") {
            members(v, at, {"per_second", "burst"},
                    [&](std::string_view k, const value& x, const std::string& p) {
                        if (k == "per_second") {
                            if (auto n = number(x, p))
                                e.rate_limit.per_second = *n;
                        } else if (auto n = count(x, p)) {
                            e.rate_limit.burst = *n;
                        }
                    });
        } else if (key == "batch") {
            members(v, at, {"max_events", "max_bytes", "linger"},
                    [&](std::string_view k, const value& x, const std::string& p) {
                        if (k == "linger") {
                            if (auto d = duration(x, p))
                                e.batch.linger = *d;
                        } else if (auto n = count(x, p)) {
                            (k == "max_events" ? e.batch.max_events : e.batch.max_bytes) = *n;
                        }
                    });
        } else if (key == "compression") {
            if (auto c = choice(v, at, {"none", "gzip"}))
                e.compression = static_cast<compression>(*c);
        } else if (key == "insecure_allow_credentials_over_http") {
            if (auto b = boolean(v, at))
                e.insecure_allow_credentials_over_http = *b;
        } else if (key == "max_body_size") {
            if (auto n = count(v, at))
                e.max_body_size = *n;
        } else if (key == "max_response_body") {
            if (auto n = count(v, at))
                e.max_response_body = *n;
        } else if (key == "circuit_breaker") {
            members(v, at, {"failures", "cool_down"},
                    [&](std::string_view k, const value& x, const std::string& p) {
                        if (k == "failures") {
                            if (auto n = count(x, p))
                                e.circuit_breaker.failures = *n;
                        } else if (auto d = duration(x, p)) {
                            e.circuit_breaker.cool_down = *d;
                        }
                    });
        } else if (key == "max_event_age") {
            if (auto d = duration(v, at))
                e.max_event_age = *d;
        }
    });
    // In code, `ordered` simply overrides max_in_flight. In a document, both written with
    // different meanings is a contradiction the operator should hear about.
    if (e.ordered && max_in_flight_given && e.max_in_flight != 1)
        problem("max_in_flight", "must be 1 or left out when ordered is true");
}

/// "line 3, column 14" of byte `offset` in `text`; columns count bytes, from 1.
inline std::string text_position(std::string_view text, std::size_t offset) {
    offset = std::min(offset, text.size());
    std::size_t line = 1;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < offset; ++i)
        if (text[i] == '\n') {
            ++line;
            line_start = i + 1;
        }
    return "line " + std::to_string(line) + ", column " + std::to_string(offset - line_start + 1);
}

} // namespace detail

inline endpoint load_endpoint(std::string_view json_text) {
    boost::json::parse_options options;
    // Operators annotate configuration files; comments and trailing commas cost nothing.
    options.allow_comments = true;
    options.allow_trailing_commas = true;
    boost::json::stream_parser parser({}, options);
    boost::system::error_code ec;
    const std::size_t consumed = parser.write(json_text.data(), json_text.size(), ec);
    if (!ec)
        parser.finish(ec);
    if (ec) // the message names the position, never the text there: it may be a password
        throw config_error(
            {config_problem{"", "invalid JSON at " + detail::text_position(json_text, consumed) +
                                    ": " + ec.message()}});

    const boost::json::value root = parser.release();
    if (!root.is_object()) // nothing else to say: every key would be missing
        throw config_error({config_problem{"", "the configuration must be a JSON object"}});
    detail::endpoint_loader loader;
    loader.load(root);
    const std::size_t loaded = loader.problems.size();
    for (config_problem& p : validate(loader.e)) {
        p.path = loader.json_path_of(p.path);
        // `"url": 5` leaves the URL empty: "is required" would say the same thing twice.
        const auto first = loader.problems.begin();
        if (std::none_of(first, first + static_cast<std::ptrdiff_t>(loaded),
                         [&](const config_problem& q) { return q.path == p.path; }))
            loader.problems.push_back(std::move(p));
    }
    if (loader.problems.empty())
        return std::move(loader.e);
    // In the order the operator reads the file: by the position of the top-level key, and a
    // missing key (`url: is required`) last.
    const boost::json::object& keys = root.get_object();
    const auto position = [&](const config_problem& p) {
        std::size_t i = 0;
        for (const auto& member : keys) {
            // As the path writes the key: `retry`, or `["odd key"]`.
            const std::string top = detail::endpoint_loader::key_path("", member.key());
            if (p.path.starts_with(top) &&
                (p.path.size() == top.size() || p.path[top.size()] == '.' ||
                 p.path[top.size()] == '['))
                return i;
            ++i;
        }
        return i;
    };
    std::stable_sort(loader.problems.begin(), loader.problems.end(),
                     [&](const config_problem& a, const config_problem& b) {
                         return position(a) < position(b);
                     });
    throw config_error(std::move(loader.problems));
}

inline endpoint load_endpoint_file(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    std::string text;
    int failure = f ? 0 : errno;
    if (f) {
        char buffer[4096];
        std::size_t n = 0;
        while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0)
            text.append(buffer, n);
        if (std::ferror(f))
            failure = errno;
        std::fclose(f);
    }
    if (failure != 0)
        throw config_error({config_problem{"", "cannot read configuration file " +
                                                   detail::quote_for_message(path) + ": " +
                                                   std::generic_category().message(failure)}});
    return load_endpoint(text);
}

inline beast_transport_options transport_options(const endpoint& e) {
    beast_transport_options o;
    o.connect_timeout = e.timeouts.connect;
    o.handshake_timeout = e.timeouts.handshake;
    o.request_timeout = e.timeouts.request;
    o.idle_timeout = e.timeouts.idle;
    // Ordered delivery sends one request at a time: a second connection would sit idle.
    o.max_connections_per_origin = e.ordered ? 1 : e.max_in_flight;
    o.max_response_body = e.max_response_body;
    o.tls = e.tls;
    o.proxy = e.proxy;
    o.destinations = e.destinations;
    o.hosts = e.hosts;
    return o;
}

inline std::ostream& operator<<(std::ostream& os, const endpoint& e) {
    namespace http = boost::beast::http;
    using detail::format_duration;
    using detail::quote_for_message;
    // Built apart and written once: the caller's stream flags do not change the numbers, and
    // the description reaches a shared log in one piece.
    std::ostringstream out;
    out << "url: " << (e.url.empty() ? std::string("(none)") : detail::redact_url(e.url))
        << "\nmethod: " << http::to_string(e.method) << "\ndata_format: json"
        << "\ndata_location: "
        << (e.data_location.empty() ? std::string("(empty: the event is the whole body)")
                                    : std::string(e.data_location.text()));

    out << "\nauthentication: ";
    if (const auto* basic = std::get_if<basic_auth>(&e.authentication))
        out << "basic, username " << quote_for_message(basic->username) << ", password "
            << basic->password;
    else if (const auto* bearer = std::get_if<bearer_auth>(&e.authentication))
        out << "bearer, token " << bearer->token;
    else if (const auto* oauth = std::get_if<oauth2_client_credentials>(&e.authentication))
        out << "oauth2_client_credentials, token_url " << detail::redact_url(oauth->token_url)
            << ", client_id " << quote_for_message(oauth->client_id) << ", client_secret "
            << oauth->client_secret << ", scope "
            << (oauth->scope.empty() ? std::string("(none)") : quote_for_message(oauth->scope))
            << ", audience "
            << (oauth->audience.empty() ? std::string("(none)")
                                        : quote_for_message(oauth->audience))
            << ", client_authentication "
            << (oauth->client_authentication == oauth2_client_authentication::basic
                    ? "basic"
                    : "request_body")
            << ", refresh_skew " << oauth->refresh_skew.count() << "s";
    else
        out << "none";

    out << "\nheaders: ";
    if (e.headers.empty())
        out << "none";
    for (std::size_t i = 0; i < e.headers.size(); ++i) {
        const std::string& name = e.headers[i].name;
        out << (i == 0 ? "" : ", ") << (check_header(name, "") ? quote_for_message(name) : name)
            << ": " << e.headers[i].value;
    }
    out << "\nsigning: ";
    if (const auto* standard = std::get_if<standard_webhooks_signing>(&e.signing)) {
        out << "standard_webhooks, keys";
        for (std::size_t i = 0; i < standard->keys.size(); ++i)
            out << (i == 0 ? " " : ", ") << standard->keys[i];
    } else if (const auto* hmac = std::get_if<hmac_header_signing>(&e.signing)) {
        out << "hmac, header " << quote_for_message(hmac->header) << ", "
            << (hmac->algorithm == hmac_algorithm::sha256 ? "sha256" : "sha512") << ", "
            << (hmac->encoding == signature_encoding::hex ? "hex" : "base64") << ", prefix "
            << quote_for_message(hmac->prefix) << ", key " << hmac->key;
        if (!hmac->timestamp_header.empty())
            out << ", timestamp_header " << quote_for_message(hmac->timestamp_header);
    } else {
        out << "none";
    }
    out << "\nuser_agent: "
        << (e.user_agent.empty() ? std::string("webhook/" WEBHOOK_VERSION_STRING " (default)")
                                 : quote_for_message(e.user_agent));
    out << "\ntimeouts: connect " << format_duration(e.timeouts.connect) << ", handshake "
        << format_duration(e.timeouts.handshake) << ", request "
        << format_duration(e.timeouts.request) << ", idle " << format_duration(e.timeouts.idle);

    const retry_policy& r = e.retry;
    out << "\nretry: max_attempts " << r.max_attempts;
    if (r.schedule.empty()) {
        out << ", initial_delay " << format_duration(r.initial_delay) << ", multiplier "
            << r.multiplier;
    } else {
        out << ", schedule";
        for (std::size_t i = 0; i < r.schedule.size(); ++i)
            out << (i == 0 ? " " : ", ") << format_duration(r.schedule[i]);
        out << ';';
    }
    out << (r.schedule.empty() ? ", " : " ") << "max_delay " << format_duration(r.max_delay)
        << ", max_total_time " << format_duration(r.max_total_time) << ", retryable_statuses";
    // Ranges keep the default set readable: 408, 425, 429, 500, 502-599.
    const char* separator = " ";
    for (int s = 100; s <= 599; ++s) {
        if (!r.retryable_statuses.contains(s))
            continue;
        int last = s;
        while (last < 599 && r.retryable_statuses.contains(last + 1))
            ++last;
        out << separator << s;
        if (last > s)
            out << '-' << last;
        separator = ", ";
        s = last;
    }
    if (r.retryable_statuses.size() == 0)
        out << " none";

    out << "\ntls: ";
    if (e.tls.insecure_skip_verification)
        out << "insecure_skip_verification (the server is NOT verified)";
    else
        out << "verify the server";
    if (!e.tls.ca_file.empty())
        out << ", ca_file " << quote_for_message(e.tls.ca_file);
    if (!e.tls.ca_directory.empty())
        out << ", ca_directory " << quote_for_message(e.tls.ca_directory);
    if (e.tls.ca_file.empty() && e.tls.ca_directory.empty())
        out << " against the system trust store";
    if (!e.tls.certificate_file.empty())
        out << ", certificate_file " << quote_for_message(e.tls.certificate_file);
    if (!e.tls.private_key_file.empty())
        out << ", private_key_file " << quote_for_message(e.tls.private_key_file);

    out << "\nproxy: " << (e.proxy.empty() ? std::string("none") : detail::redact_url(e.proxy))
        << "\ndestinations: " << (e.destinations.public_only ? "public only" : "any");
    for (std::size_t i = 0; i < e.destinations.allow.size(); ++i)
        out << (i == 0 ? ", allow " : ", ") << e.destinations.allow[i].to_string();
    if (!e.hosts.empty()) {
        out << "\nhosts: ";
        for (std::size_t i = 0; i < e.hosts.size(); ++i) {
            out << (i == 0 ? "" : "; ") << quote_for_message(e.hosts[i].host) << " ->";
            for (const auto& a : e.hosts[i].addresses)
                out << ' ' << a.to_string();
        }
    }
    out
        << "\nmax_in_flight: " << e.max_in_flight
        << "\nordered: " << (e.ordered ? "true (one request in flight)" : "false");
    static constexpr const char* when_full[] = {"block", "reject", "drop_oldest"};
    const auto policy = static_cast<std::size_t>(e.queue.when_full);
    out << "\nqueue: capacity " << e.queue.capacity << ", when_full "
        << (policy < 3 ? when_full[policy] : "?") << ", block_timeout "
        << format_duration(e.queue.block_timeout);
    out << "\nrate_limit: ";
    if (e.rate_limit.per_second > 0)
        out << "per_second " << e.rate_limit.per_second << ", burst " << e.rate_limit.burst;
    else
        out << "unlimited";
    out << "\nbatch: ";
    if (e.batch.max_events > 1)
        out << "max_events " << e.batch.max_events << ", max_bytes " << e.batch.max_bytes
            << ", linger " << format_duration(e.batch.linger);
    else
        out << "off";
    out << "\ncompression: " << (e.compression == compression::gzip ? "gzip" : "none")
        << "\nmax_body_size: " << e.max_body_size << " bytes"
        << "\nmax_response_body: " << e.max_response_body << " bytes";
    if (e.insecure_allow_credentials_over_http)
        out << "\ninsecure_allow_credentials_over_http: true (credentials may cross the network "
               "in clear text)";
    out << "\ncircuit_breaker: ";
    if (e.circuit_breaker.failures > 0)
        out << "failures " << e.circuit_breaker.failures << ", cool_down "
            << format_duration(e.circuit_breaker.cool_down);
    else
        out << "off";
    out << "\nmax_event_age: "
        << (e.max_event_age == std::chrono::milliseconds::zero()
                ? std::string("no limit")
                : format_duration(e.max_event_age));
    return os << std::move(out).str();
}

} // namespace webhook

#endif

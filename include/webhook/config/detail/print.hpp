#ifndef WEBHOOK_CONFIG_DETAIL_PRINT_HPP
#define WEBHOOK_CONFIG_DETAIL_PRINT_HPP

// Printing: one `key: value` line per top-level key, in the order of the description. A
// value is written by its type's printer (`print_value`); a described struct as
// `name value, name value`, or as one word when it is off (`inactive_text`); a few keys write
// their value their own way (`print_rule`), and a key whose printer writes nothing has no
// line. Every secret is written as `***` (the `secret` type's own printing).

#include <webhook/config/detail/readers.hpp>
#include <webhook/config/detail/text.hpp>
#include <webhook/version.hpp>

#include <ostream>
#include <sstream>
#include <string>
#include <type_traits>

namespace webhook::detail {

inline void print_value(std::ostream& out, const std::string& s) {
    out << quote_for_message(s);
}
inline void print_value(std::ostream& out, std::size_t n) {
    out << n;
}
inline void print_value(std::ostream& out, double d) {
    out << d;
}
inline void print_value(std::ostream& out, bool b) {
    out << (b ? "true" : "false");
}
inline void print_value(std::ostream& out, std::chrono::milliseconds d) {
    out << format_duration(d);
}
template <described_choice E>
void print_value(std::ostream& out, E e) {
    out << choice_name(e);
}
inline void print_value(std::ostream& out, boost::beast::http::verb m) {
    out << boost::beast::http::to_string(m);
}
inline void print_value(std::ostream& out, data_format) {
    out << "json";
}
inline void print_value(std::ostream& out, const data_path& p) {
    if (p.empty())
        out << "(empty: the event is the whole body)";
    else
        out << p.text();
}

inline void print_value(std::ostream& out, const no_auth&) {
    out << "none";
}
inline void print_value(std::ostream& out, const basic_auth& basic) {
    out << "basic, username " << quote_for_message(basic.username) << ", password "
        << basic.password;
}
inline void print_value(std::ostream& out, const bearer_auth& bearer) {
    out << "bearer, token " << bearer.token;
}
inline void print_value(std::ostream& out, const oauth2_client_credentials& oauth) {
    const auto or_none = [](const std::string& s) {
        return s.empty() ? std::string("(none)") : quote_for_message(s);
    };
    out << "oauth2_client_credentials, token_url " << redact_url(oauth.token_url) << ", client_id "
        << quote_for_message(oauth.client_id) << ", client_secret " << oauth.client_secret
        << ", scope " << or_none(oauth.scope) << ", audience " << or_none(oauth.audience)
        << ", client_authentication " << choice_name(oauth.client_authentication)
        << ", refresh_skew " << oauth.refresh_skew.count() << "s";
}
inline void print_value(std::ostream& out, const authentication& a) {
    std::visit([&](const auto& alternative) { print_value(out, alternative); }, a);
}

inline void print_value(std::ostream& out, const std::vector<header_field>& headers) {
    if (headers.empty())
        out << "none";
    for (std::size_t i = 0; i < headers.size(); ++i) {
        const std::string& name = headers[i].name;
        out << (i == 0 ? "" : ", ") << (check_header(name, "") ? quote_for_message(name) : name)
            << ": " << headers[i].value;
    }
}

inline void print_value(std::ostream& out, const signing& s) {
    if (const auto* standard = std::get_if<standard_webhooks_signing>(&s)) {
        out << "standard_webhooks, keys";
        for (std::size_t i = 0; i < standard->keys.size(); ++i)
            out << (i == 0 ? " " : ", ") << standard->keys[i];
    } else if (const auto* hmac = std::get_if<hmac_header_signing>(&s)) {
        out << "hmac, header " << quote_for_message(hmac->header) << ", "
            << (hmac->algorithm == hmac_algorithm::sha256 ? "sha256" : "sha512") << ", "
            << (hmac->encoding == signature_encoding::hex ? "hex" : "base64") << ", prefix "
            << quote_for_message(hmac->prefix) << ", key " << hmac->key;
        if (!hmac->timestamp_header.empty())
            out << ", timestamp_header " << quote_for_message(hmac->timestamp_header);
    } else {
        out << "none";
    }
}

/// Ranges keep the default set readable: 408, 425, 429, 500, 502-599.
inline void print_value(std::ostream& out, const status_set& statuses) {
    const char* separator = " ";
    for (int s = 100; s <= 599; ++s) {
        if (!statuses.contains(s))
            continue;
        int last = s;
        while (last < 599 && statuses.contains(last + 1))
            ++last;
        out << separator << s;
        if (last > s)
            out << '-' << last;
        separator = ", ";
        s = last;
    }
    if (statuses.size() == 0)
        out << " none";
}

inline void print_value(std::ostream& out, const retry_policy& r) {
    out << "max_attempts " << r.max_attempts;
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
    print_value(out, r.retryable_statuses);
}

inline void print_value(std::ostream& out, const tls_options& tls) {
    if (tls.insecure_skip_verification)
        out << "insecure_skip_verification (the server is NOT verified)";
    else
        out << "verify the server";
    if (!tls.ca_file.empty())
        out << ", ca_file " << quote_for_message(tls.ca_file);
    if (!tls.ca_directory.empty())
        out << ", ca_directory " << quote_for_message(tls.ca_directory);
    if (tls.ca_file.empty() && tls.ca_directory.empty())
        out << " against the system trust store";
    if (!tls.certificate_file.empty())
        out << ", certificate_file " << quote_for_message(tls.certificate_file);
    if (!tls.private_key_file.empty())
        out << ", private_key_file " << quote_for_message(tls.private_key_file);
}

inline void print_value(std::ostream& out, const destination_policy& d) {
    out << (d.public_only ? "public only" : "any");
    for (std::size_t i = 0; i < d.allow.size(); ++i)
        out << (i == 0 ? ", allow " : ", ") << d.allow[i].to_string();
}

/// Nothing when there are none: the line is left out.
inline void print_value(std::ostream& out, const std::vector<host_mapping>& hosts) {
    for (std::size_t i = 0; i < hosts.size(); ++i) {
        out << (i == 0 ? "" : "; ") << quote_for_message(hosts[i].host) << " ->";
        for (const auto& a : hosts[i].addresses)
            out << ' ' << a.to_string();
    }
}

/// What a described struct prints instead of its members when it is off, or nullptr.
template <class T>
const char* inactive_text(const T&) noexcept {
    return nullptr;
}
inline const char* inactive_text(const rate_limit_options& r) noexcept {
    return r.per_second > 0 ? nullptr : "unlimited";
}
inline const char* inactive_text(const batch_options& b) noexcept {
    return b.max_events > 1 ? nullptr : "off";
}
inline const char* inactive_text(const adaptive_concurrency_options& a) noexcept {
    return a.enabled ? nullptr : "off";
}
inline const char* inactive_text(const circuit_breaker_options& c) noexcept {
    return c.failures > 0 ? nullptr : "off";
}

template <described_options T>
void print_value(std::ostream& out, const T& v) {
    if (const char* text = inactive_text(v)) {
        out << text;
        return;
    }
    const char* separator = "";
    boost::mp11::mp_for_each<config_members<T>>([&](auto member) {
        out << separator << member.name << ' ';
        print_value(out, v.*member.pointer);
        separator = ", ";
    });
}

// Keys printed their own way rather than as their type.
template <auto Member>
inline constexpr auto print_rule = nullptr;
// clang-format off
template <> inline constexpr auto print_rule<&endpoint::url> = [](std::ostream& out, const std::string& url) {
    out << (url.empty() ? std::string("(none)") : redact_url(url));
};
template <> inline constexpr auto print_rule<&endpoint::proxy> = [](std::ostream& out, const std::string& proxy) {
    out << (proxy.empty() ? std::string("none") : redact_url(proxy));
};
template <> inline constexpr auto print_rule<&endpoint::user_agent> = [](std::ostream& out, const std::string& agent) {
    out << (agent.empty() ? std::string("webhook/" WEBHOOK_VERSION_STRING " (default)")
                          : quote_for_message(agent));
};
template <> inline constexpr auto print_rule<&endpoint::ordered> = [](std::ostream& out, bool ordered) {
    out << (ordered ? "true (one request in flight)" : "false");
};
inline constexpr auto print_bytes = [](std::ostream& out, std::size_t n) { out << n << " bytes"; };
template <> inline constexpr auto print_rule<&endpoint::max_body_size> = print_bytes;
template <> inline constexpr auto print_rule<&endpoint::max_response_body> = print_bytes;
template <> inline constexpr auto print_rule<&endpoint::insecure_allow_credentials_over_http> = [](std::ostream& out, bool allowed) {
    if (allowed)
        out << "true (credentials may cross the network in clear text)";
};
template <> inline constexpr auto print_rule<&endpoint::max_event_age> = [](std::ostream& out, std::chrono::milliseconds age) {
    out << (age == std::chrono::milliseconds::zero() ? std::string("no limit") : format_duration(age));
};
// clang-format on

/// Every top-level key as a `key: value` line, with no line break after the last.
inline std::string describe_endpoint(const endpoint& e) {
    std::string text;
    boost::mp11::mp_for_each<config_members<endpoint>>([&](auto member) {
        using member_type = decltype(member);
        std::ostringstream value;
        if constexpr (std::is_null_pointer_v<
                          std::remove_cv_t<decltype(print_rule<member_type::pointer>)>>)
            print_value(value, e.*member_type::pointer);
        else
            print_rule<member_type::pointer>(value, e.*member_type::pointer);
        std::string line = std::move(value).str();
        if (line.empty())
            return; // nothing to say (no hosts mapped, an insecure switch left off)
        text.append(text.empty() ? "" : "\n").append(member.name).append(": ").append(line);
    });
    return text;
}

} // namespace webhook::detail

#endif

#ifndef WEBHOOK_CONFIG_DETAIL_RULES_HPP
#define WEBHOOK_CONFIG_DETAIL_RULES_HPP

// Validation. Three kinds of rule, applied while walking the endpoint's description (so in
// member order):
// - a type's own rules: `check_value(checker, path, value)` for the types that have some
//   (a method, an authentication, a retry policy, TLS files, host mappings);
// - a key's rule from the table `rule_of<&S::member>`: a range or a text rule for a value
//   whose type allows more than the key does (a timeout is a duration greater than 0);
// - cross-field rules, `cross_rule<&S::member>`, run after the member they are attached to,
//   with the whole endpoint at hand (credentials over plain http, a batch and placeholders).
// Messages never quote a value that may be a secret: the URL, passwords, tokens, header
// values. They name the key and the rule instead.

#include <webhook/config/detail/readers.hpp>
#include <webhook/config/detail/text.hpp>
#include <webhook/config/detail/url_template.hpp>
#include <webhook/transport/detail/reserved_headers.hpp>
#include <webhook/transport/url.hpp>

#include <chrono>
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

namespace webhook::detail {

/// Collects the problems of one endpoint.
struct config_checker {
    const endpoint& e;
    std::vector<config_problem> problems{};

    void problem(std::string path, std::string message) {
        problems.push_back({std::move(path), std::move(message)});
    }
};

enum class config_rule {
    none,
    positive,     ///< a duration or a size greater than 0
    at_least_one, ///< a count of 1 or more
    not_negative, ///< a duration of 0 or more
    header_text,  ///< no control character but tab (goes into a header)
    one_of,       ///< an enumerator of the (described) enumeration
    http_url,     ///< required; an http(s) URL, placeholders allowed in path and query
    proxy_url,    ///< empty, or `http://host:port`
};

// The rule table: the keys whose values have a rule beyond their type's.
template <auto Member>
inline constexpr config_rule rule_of = config_rule::none;
// clang-format off
template <> inline constexpr config_rule rule_of<&endpoint::url> = config_rule::http_url;
template <> inline constexpr config_rule rule_of<&endpoint::user_agent> = config_rule::header_text;
template <> inline constexpr config_rule rule_of<&timeout_options::connect> = config_rule::positive;
template <> inline constexpr config_rule rule_of<&timeout_options::handshake> = config_rule::positive;
template <> inline constexpr config_rule rule_of<&timeout_options::request> = config_rule::positive;
template <> inline constexpr config_rule rule_of<&timeout_options::idle> = config_rule::positive;
template <> inline constexpr config_rule rule_of<&endpoint::proxy> = config_rule::proxy_url;
template <> inline constexpr config_rule rule_of<&endpoint::max_in_flight> = config_rule::at_least_one;
template <> inline constexpr config_rule rule_of<&queue_options::capacity> = config_rule::at_least_one;
template <> inline constexpr config_rule rule_of<&queue_options::block_timeout> = config_rule::not_negative;
template <> inline constexpr config_rule rule_of<&batch_options::max_events> = config_rule::at_least_one;
template <> inline constexpr config_rule rule_of<&batch_options::max_bytes> = config_rule::positive;
template <> inline constexpr config_rule rule_of<&batch_options::linger> = config_rule::not_negative;
template <> inline constexpr config_rule rule_of<&endpoint::compression> = config_rule::one_of;
template <> inline constexpr config_rule rule_of<&endpoint::max_body_size> = config_rule::positive;
template <> inline constexpr config_rule rule_of<&endpoint::max_response_body> = config_rule::positive;
template <> inline constexpr config_rule rule_of<&endpoint::max_event_age> = config_rule::not_negative;
// clang-format on

template <config_rule Rule, class T>
void apply_rule(config_checker& c, const std::string& path, const T& v) {
    using std::chrono::milliseconds;
    if constexpr (Rule == config_rule::positive) {
        if (v <= T{0})
            c.problem(path, "must be greater than 0");
    } else if constexpr (Rule == config_rule::at_least_one) {
        if (v < 1)
            c.problem(path, "must be at least 1");
    } else if constexpr (Rule == config_rule::not_negative) {
        if (v < T{0})
            c.problem(path, "must not be negative");
    } else if constexpr (Rule == config_rule::header_text) {
        if (has_control_character(v))
            c.problem(path, "contains a control character");
    } else if constexpr (Rule == config_rule::one_of) {
        if (choice_name(v)[0] == '?')
            c.problem(path, "must be " + config_reader::choice_list(choice_names<T>));
    } else if constexpr (Rule == config_rule::http_url) {
        if (v.empty())
            c.problem(path, "is required");
        else if (auto parsed = url_template::parse(v); !parsed)
            c.problem(path, parsed.error());
    } else if constexpr (Rule == config_rule::proxy_url) {
        if (v.empty())
            return;
        const auto proxy = endpoint_url::parse(v);
        if (!proxy || proxy->origin().tls || proxy->target() != "/" ||
            v.find('#') != std::string::npos)
            c.problem(path, "must be http://host:port");
    }
}

/// Facts about the endpoint's URL that cross-field rules need.
struct url_facts {
    bool has_placeholders = false;
    bool exposes_credentials = false;
};
inline url_facts facts_of_url(const std::string& url) {
    if (url.empty())
        return {};
    const auto parsed = url_template::parse(url);
    if (!parsed)
        return {};
    return {parsed->has_placeholders(), exposes_credentials(parsed->origin())};
}

// A type's own rules. The fallback: none.
template <class T>
void check_value(config_checker&, const std::string&, const T&) {}

inline void check_value(config_checker& c, const std::string& path, boost::beast::http::verb m) {
    namespace http = boost::beast::http;
    if (m != http::verb::post && m != http::verb::put && m != http::verb::patch)
        c.problem(path, "must be POST, PUT or PATCH");
}

inline void check_value(config_checker& c, const std::string& path, data_format f) {
    if (f != data_format::json)
        c.problem(path, "only \"json\" is supported");
}

inline void check_value(config_checker& c, const std::string& path, const basic_auth& basic) {
    if (basic.username.empty())
        c.problem(path + ".username", "is empty");
    else if (basic.username.find(':') != std::string::npos)
        c.problem(path + ".username", "contains ':'"); // RFC 7617 cannot encode it
    if (has_any_control_character(basic.username))
        c.problem(path + ".username", "contains a control character");
    if (has_any_control_character(basic.password.reveal()))
        c.problem(path + ".password", "contains a control character");
}

inline void check_value(config_checker& c, const std::string& path, const bearer_auth& bearer) {
    const std::string& token = bearer.token.reveal();
    if (token.empty())
        c.problem(path + ".token", "is empty");
    else if (token.find(' ') != std::string::npos || has_any_control_character(token))
        c.problem(path + ".token", "contains a space or a control character");
}

inline void check_value(config_checker& c, const std::string& path,
                        const oauth2_client_credentials& oauth) {
    if (oauth.token_url.empty()) {
        c.problem(path + ".token_url", "is required");
    } else if (const auto token_url = endpoint_url::parse(oauth.token_url); !token_url) {
        c.problem(path + ".token_url", "is not a valid http or https URL");
    } else if (exposes_credentials(token_url->origin()) &&
               !c.e.insecure_allow_credentials_over_http) {
        c.problem(path + ".token_url",
                  "is plain http to a host that is not loopback: the client secret would "
                  "cross the network in clear text (use https, or set "
                  "insecure_allow_credentials_over_http)");
    }
    if (oauth.client_id.empty())
        c.problem(path + ".client_id", "is empty");
    else if (has_any_control_character(oauth.client_id))
        c.problem(path + ".client_id", "contains a control character");
    if (has_any_control_character(oauth.client_secret.reveal()))
        c.problem(path + ".client_secret", "contains a control character");
    if (has_any_control_character(oauth.scope))
        c.problem(path + ".scope", "contains a control character");
    if (has_any_control_character(oauth.audience))
        c.problem(path + ".audience", "contains a control character");
    apply_rule<config_rule::one_of>(c, path + ".client_authentication",
                                    oauth.client_authentication);
    if (oauth.refresh_skew.count() < 0)
        c.problem(path + ".refresh_skew", "must not be negative");
}

inline void check_value(config_checker& c, const std::string& path, const authentication& a) {
    std::visit([&](const auto& alternative) { check_value(c, path, alternative); }, a);
}

inline void check_value(config_checker& c, const std::string& path, const signing& s) {
    for (auto& p : validate(s))
        c.problem(path + "." + p.path, std::move(p.message));
}

inline void check_value(config_checker& c, const std::string& path, const retry_policy& r) {
    if (r.max_attempts < 1)
        c.problem(path + ".max_attempts", "must be at least 1");
    else if (!r.schedule.empty() && r.max_attempts != r.schedule.size() + 1)
        c.problem(path + ".max_attempts",
                  "must be " + std::to_string(r.schedule.size() + 1) + " with a schedule of " +
                      std::to_string(r.schedule.size()) +
                      " delays (the first attempt and one retry per delay)");
    apply_rule<config_rule::not_negative>(c, path + ".initial_delay", r.initial_delay);
    if (!(r.multiplier >= 1.0) || !std::isfinite(r.multiplier)) // NaN fails >= too
        c.problem(path + ".multiplier", "must be a finite number of at least 1");
    apply_rule<config_rule::not_negative>(c, path + ".max_delay", r.max_delay);
    apply_rule<config_rule::not_negative>(c, path + ".max_total_time", r.max_total_time);
    for (std::size_t i = 0; i < r.schedule.size(); ++i)
        apply_rule<config_rule::not_negative>(c, config_reader::index_path(path + ".schedule", i),
                                              r.schedule[i]);
}

inline void check_value(config_checker& c, const std::string& path, const tls_options& tls) {
    if (!tls.private_key_file.empty() && tls.certificate_file.empty())
        c.problem(path + ".private_key_file", "is set but tls.certificate_file is not");
    if (!tls.certificate_file.empty() && tls.private_key_file.empty())
        c.problem(path + ".certificate_file", "is set but tls.private_key_file is not");
    // The transport opens these when it is made; a missing file is a configuration error to
    // report here, by its key, rather than an exception from deep inside OpenSSL later.
    const auto readable = [&](const char* key, const std::string& file, bool directory) {
        if (!file.empty())
            if (auto why = unreadable(file, directory))
                c.problem(path + "." + key, std::move(*why));
    };
    if (!tls.insecure_skip_verification) { // else the transport does not load them
        readable("ca_file", tls.ca_file, false);
        readable("ca_directory", tls.ca_directory, true);
    }
    readable("certificate_file", tls.certificate_file, false);
    readable("private_key_file", tls.private_key_file, false);
}

inline void check_value(config_checker& c, const std::string& path,
                        const std::vector<host_mapping>& hosts) {
    for (std::size_t i = 0; i < hosts.size(); ++i) {
        const std::string at = config_reader::index_path(path, i);
        if (hosts[i].host.empty())
            c.problem(at + ".host", "is empty");
        if (hosts[i].addresses.empty())
            c.problem(at + ".addresses", "is empty");
    }
}

inline void check_value(config_checker& c, const std::string& path,
                        const rate_limit_options& limit) {
    if (!std::isfinite(limit.per_second) || limit.per_second < 0)
        c.problem(path + ".per_second", "must be a finite number, 0 or more");
    else if (limit.per_second > 0 && limit.burst < 1)
        c.problem(path + ".burst", "must be at least 1 when per_second is set");
}

inline void check_value(config_checker& c, const std::string& path,
                        const adaptive_concurrency_options& adaptive) {
    if (adaptive.initial < 1)
        c.problem(path + ".initial", "must be at least 1");
    else if (adaptive.enabled && adaptive.initial > c.e.max_in_flight)
        c.problem(path + ".initial",
                  "must not exceed max_in_flight (" + std::to_string(c.e.max_in_flight) + ")");
}

inline void check_value(config_checker& c, const std::string& path,
                        const circuit_breaker_options& breaker) {
    if (breaker.failures > 0 && breaker.cool_down <= std::chrono::milliseconds{0})
        c.problem(path + ".cool_down", "must be greater than 0 when failures is set");
}

// Cross-field rules, each run after the member it is attached to.
template <auto Member>
inline constexpr auto cross_rule = nullptr;

template <>
inline constexpr auto cross_rule<&endpoint::authentication> = [](config_checker& c) {
    if (!std::holds_alternative<no_auth>(c.e.authentication) &&
        facts_of_url(c.e.url).exposes_credentials && !c.e.insecure_allow_credentials_over_http)
        c.problem("authentication",
                  "would be sent over plain http to a host that is not loopback, readable by "
                  "anyone on the path (use https, or set insecure_allow_credentials_over_http)");
};

// Declared in detail/reserved_headers.hpp (the dispatcher checks per-event headers with it).
inline const char* header_refusal(const endpoint& e, std::string_view name) noexcept {
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

/// Headers are checked with signing (after it, as they always were): a header may not take
/// the name of the signature's headers, nor of the ones authentication sets.
inline void check_headers(config_checker& c) {
    for (std::size_t i = 0; i < c.e.headers.size(); ++i) {
        const header_field& h = c.e.headers[i];
        const std::string at = config_reader::index_path("headers", i);
        if (const char* why = header_refusal(c.e, h.name))
            c.problem(at + ".name", why);
        if (has_control_character(h.value.reveal()))
            c.problem(at + ".value", "contains a control character");
    }
}

template <>
inline constexpr auto cross_rule<&endpoint::signing> = [](config_checker& c) {
    const endpoint& e = c.e;
    if (const auto* hmac = std::get_if<hmac_header_signing>(&e.signing);
        hmac && !std::holds_alternative<no_auth>(e.authentication)) {
        // The signer would replace the Authorization header with the signature.
        if (iequals(hmac->header, "Authorization"))
            c.problem("signing.header", "conflicts with authentication");
        if (iequals(hmac->timestamp_header, "Authorization"))
            c.problem("signing.timestamp_header", "conflicts with authentication");
    }
    if (!std::holds_alternative<no_signing>(e.signing) && facts_of_url(e.url).exposes_credentials &&
        !e.insecure_allow_credentials_over_http)
        c.problem("signing",
                  "signed requests would go over plain http to a host that is not loopback, open "
                  "to capture and replay (use https, or set insecure_allow_credentials_over_http)");
    check_headers(c);
};

template <>
inline constexpr auto cross_rule<&batch_options::max_events> = [](config_checker& c) {
    if (c.e.batch.max_events > 1 && facts_of_url(c.e.url).has_placeholders)
        c.problem("batch.max_events",
                  "must be 1 when the URL has placeholders (a batch has no single event to fill "
                  "them from)");
};

/// A described struct without rules of its own (those with some have an overload above):
/// each member's type rules, table rule and cross-field rule, in the order of the description.
template <described_options T>
void check_value(config_checker& c, const std::string& path, const T& v) {
    boost::mp11::mp_for_each<config_members<T>>([&](auto member) {
        using member_type = decltype(member);
        const std::string at = path.empty() ? std::string(member.name) : path + "." + member.name;
        const auto& x = v.*member_type::pointer;
        check_value(c, at, x);
        apply_rule<rule_of<member_type::pointer>>(c, at, x);
        if constexpr (!std::is_null_pointer_v<
                          std::remove_cv_t<decltype(cross_rule<member_type::pointer>)>>)
            cross_rule<member_type::pointer>(c);
    });
}

} // namespace webhook::detail

#endif

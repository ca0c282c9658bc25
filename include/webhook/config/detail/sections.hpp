#ifndef WEBHOOK_CONFIG_DETAIL_SECTIONS_HPP
#define WEBHOOK_CONFIG_DETAIL_SECTIONS_HPP

// Readers of the values that are more than a described struct: sections chosen by a `type`
// (authentication, signing), secrets that come from the document, the environment or a file
// (headers too), host mappings, and the retry policy (a schedule sets its own defaults).
//
// A section with a problem in a secret (authentication, one header) is left out of the
// endpoint altogether, so that validation does not report the same mistake a second time.

#include <webhook/config/detail/readers.hpp>

#include <boost/asio/ip/address.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace webhook::detail {

inline void read_value(config_reader& r, const config_value& v, const std::string& path,
                       authentication& out) {
    const auto* obj = v.if_object();
    if (!obj) {
        r.problem(path, "must be an object with a \"type\"");
        return;
    }
    const std::size_t before = r.mark();
    const auto type = r.section_type(
        *obj, path, {"none", "basic", "bearer", "oauth2_client_credentials"},
        {{"type"},
         {"type", "username", "password", "password_env", "password_file"},
         {"type", "token", "token_env", "token_file"},
         {"type", "token_url", "client_id", "client_secret", "client_secret_env",
          "client_secret_file", "scope", "audience", "client_authentication", "refresh_skew"}});
    if (!type)
        return;
    const auto required = [&](std::string_view key, std::string& into) {
        if (const config_value* x = config_reader::given(*obj, key))
            read_value(r, *x, config_reader::key_path(path, key), into);
        else
            r.problem(config_reader::key_path(path, key), "is required");
    };
    const auto optional = [&](std::string_view key, auto& into) {
        if (const config_value* x = config_reader::given(*obj, key))
            read_value(r, *x, config_reader::key_path(path, key), into);
    };
    if (*type == 1) {
        basic_auth basic;
        required("username", basic.username);
        if (auto pw = r.secret_from(*obj, path, "password", "authentication.password"))
            basic.password = std::move(*pw);
        if (r.clean_since(before))
            out = std::move(basic);
    } else if (*type == 2) {
        auto token = r.secret_from(*obj, path, "token", "authentication.token");
        if (token && r.clean_since(before))
            out = bearer_auth{std::move(*token)};
    } else if (*type == 3) {
        oauth2_client_credentials oauth;
        required("token_url", oauth.token_url);
        required("client_id", oauth.client_id);
        if (auto s = r.secret_from(*obj, path, "client_secret", "authentication.client_secret"))
            oauth.client_secret = std::move(*s);
        optional("scope", oauth.scope);
        optional("audience", oauth.audience);
        optional("client_authentication", oauth.client_authentication);
        optional("refresh_skew", oauth.refresh_skew);
        if (r.clean_since(before))
            out = std::move(oauth);
    } else {
        out = no_auth{};
    }
}

/// One header from `{"name": ..., "value" | "value_env" | "value_file": ...}` (array form)
/// or a value that is a string or `{"value_env": ...}` (object form, `name` given).
inline void read_header(config_reader& r, const config_value& v, const std::string& path,
                        std::optional<std::string> name, std::vector<header_field>& out) {
    const std::string member = "headers[" + std::to_string(out.size()) + "]";
    if (name && v.is_string()) {
        r.rename(member + ".name", path);
        r.rename(member + ".value", path);
        out.push_back({std::move(*name), secret(std::string(v.get_string()))});
        return;
    }
    const auto* obj = v.if_object();
    if (!obj) {
        r.problem(path, name ? "must be a string, or an object with value, value_env or "
                               "value_file"
                             : "must be an object with name and value");
        return;
    }
    const std::size_t before = r.mark();
    const std::size_t renames_before = r.renames();
    const config_reader::names named_keys = {"value", "value_env", "value_file"};
    const config_reader::names element_keys = {"name", "value", "value_env", "value_file"};
    const config_reader::names known = name ? named_keys : element_keys;
    for (const auto& m : *obj)
        if (!config_reader::contains(known, m.key()))
            r.unknown_key(config_reader::key_path(path, m.key()), m.key(), known);
    if (name) {
        r.rename(member + ".name", path);
    } else {
        const std::string at = config_reader::key_path(path, "name");
        if (const config_value* n = config_reader::given(*obj, "name")) {
            std::string text;
            const std::size_t name_mark = r.mark();
            read_value(r, *n, at, text);
            if (r.clean_since(name_mark))
                name = std::move(text);
        } else {
            r.problem(at, "is required");
        }
        r.rename(member + ".name", at);
    }
    auto value = r.secret_from(*obj, path, "value", member + ".value");
    if (value && name && r.clean_since(before))
        out.push_back({std::move(*name), std::move(*value)});
    else // the index is the next header's: these names are not its
        r.drop_renames_since(renames_before);
}

inline void read_value(config_reader& r, const config_value& v, const std::string& path,
                       std::vector<header_field>& out) {
    if (const auto* arr = v.if_array()) {
        for (std::size_t i = 0; i < arr->size(); ++i)
            read_header(r, (*arr)[i], config_reader::index_path(path, i), std::nullopt, out);
    } else if (const auto* obj = v.if_object()) {
        for (const auto& m : *obj)
            read_header(r, m.value(), config_reader::key_path(path, m.key()), std::string(m.key()),
                        out);
    } else {
        r.problem(path, "must be an object of name: value, or an array of {name, value}");
    }
}

/// `"keys": [...]` of Standard Webhooks: each a string, or an object with `key`, `key_env` or
/// `key_file`.
inline void read_signing_keys(config_reader& r, const config_value* keys, const std::string& at,
                              standard_webhooks_signing& out) {
    if (!keys) {
        r.problem(at, "is required: an array of whsec_ or whsk_ keys");
        return;
    }
    const auto* arr = keys->if_array();
    if (!arr) {
        r.problem(at, "must be an array of keys");
        return;
    }
    for (std::size_t i = 0; i < arr->size(); ++i) {
        const std::string item = config_reader::index_path(at, i);
        const std::string member = "signing.keys[" + std::to_string(i) + "]";
        const config_value& k = (*arr)[i];
        if (k.is_string()) {
            out.keys.emplace_back(std::string(k.get_string()));
            r.rename(member, item);
        } else if (const auto* ko = k.if_object()) {
            for (const auto& m : *ko)
                if (!config_reader::contains({"key", "key_env", "key_file"}, m.key()))
                    r.unknown_key(config_reader::key_path(item, m.key()), m.key(),
                                  {"key", "key_env", "key_file"});
            if (auto key = r.secret_from(*ko, item, "key", member))
                out.keys.push_back(std::move(*key));
        } else {
            r.problem(item, "must be a string, or an object with key, key_env or key_file");
        }
    }
}

/** `{"type": "standard_webhooks", "keys": [...]}`, or `{"type": "hmac", "key": ...,
    "header": ...}`. */
inline void read_value(config_reader& r, const config_value& v, const std::string& path,
                       signing& out) {
    const auto* obj = v.if_object();
    if (!obj) {
        r.problem(path, "must be an object with a \"type\"");
        return;
    }
    const std::size_t before = r.mark();
    const auto type = r.section_type(*obj, path, {"none", "standard_webhooks", "hmac"},
                                     {{"type"},
                                      {"type", "keys"},
                                      {"type", "key", "key_env", "key_file", "header", "prefix",
                                       "algorithm", "encoding", "timestamp_header"}});
    if (!type)
        return;
    if (*type == 0) {
        out = no_signing{};
    } else if (*type == 1) {
        standard_webhooks_signing standard;
        read_signing_keys(r, config_reader::given(*obj, "keys"),
                          config_reader::key_path(path, "keys"), standard);
        if (r.clean_since(before))
            out = std::move(standard);
    } else {
        hmac_header_signing hmac;
        if (auto key = r.secret_from(*obj, path, "key", "signing.key"))
            hmac.key = std::move(*key);
        const auto optional = [&](std::string_view key, auto& into) {
            if (const config_value* x = config_reader::given(*obj, key))
                read_value(r, *x, config_reader::key_path(path, key), into);
        };
        optional("header", hmac.header);
        optional("prefix", hmac.prefix);
        optional("timestamp_header", hmac.timestamp_header);
        optional("algorithm", hmac.algorithm);
        optional("encoding", hmac.encoding);
        if (r.clean_since(before))
            out = std::move(hmac);
    }
}

/// `{"api.example.com": ["10.0.0.5", "fd00::5"]}`.
inline void read_value(config_reader& r, const config_value& v, const std::string& path,
                       std::vector<host_mapping>& out) {
    const auto* obj = v.if_object();
    if (!obj) {
        r.problem(path, "must be an object of host name: [addresses]");
        return;
    }
    for (const auto& m : *obj) {
        const std::string at = config_reader::key_path(path, m.key());
        const auto* arr = m.value().if_array();
        if (!arr || arr->empty()) {
            r.problem(at, "must be a non-empty array of IP addresses");
            continue;
        }
        host_mapping mapping{std::string(m.key()), {}};
        const std::size_t before = r.mark();
        for (std::size_t i = 0; i < arr->size(); ++i) {
            const std::string item = config_reader::index_path(at, i);
            const auto* text = (*arr)[i].if_string();
            if (!text) {
                r.problem(item, "must be a string");
                continue;
            }
            boost::system::error_code ec;
            const auto address = boost::asio::ip::make_address(std::string_view(*text), ec);
            if (ec)
                r.problem(item, "is not an IP address");
            else
                mapping.addresses.push_back(address);
        }
        if (r.clean_since(before)) // else validation would report the same mistake again
            out.push_back(std::move(mapping));
    }
}

/// `[408, 429, "5xx"]`: status codes, or a whole class written as `"4xx"` / `"5xx"`.
inline void read_value(config_reader& r, const config_value& v, const std::string& path,
                       status_set& out) {
    const auto* arr = v.if_array();
    if (!arr) {
        r.problem(path, "must be an array of status codes");
        return;
    }
    status_set set;
    const std::size_t before = r.mark();
    for (std::size_t i = 0; i < arr->size(); ++i) {
        const config_value& x = (*arr)[i];
        if (const auto* s = x.if_string(); s && s->size() == 3 && (*s)[0] >= '1' &&
                                           (*s)[0] <= '5' && ascii_lower((*s)[1]) == 'x' &&
                                           ascii_lower((*s)[2]) == 'x') {
            const int first = ((*s)[0] - '0') * 100;
            for (int status = first; status < first + 100; ++status)
                set.insert(status);
            continue;
        }
        const auto n = config_reader::whole_number(x);
        if (!n || *n < 100 || *n > 599 || !set.insert(static_cast<int>(*n)))
            r.problem(config_reader::index_path(path, i),
                      "must be a status code from 100 to 599, or a class such as \"5xx\"");
    }
    if (r.clean_since(before))
        out = set;
}

/// `"none"`, or an object; `max_delay` and `max_total_time` may be `"unlimited"`.
inline void read_value(config_reader& r, const config_value& v, const std::string& path,
                       retry_policy& out) {
    if (const auto* s = v.if_string(); s && iequals(*s, "none")) {
        out = retry_policy::none();
        return;
    }
    if (!v.is_object()) {
        r.problem(path, "must be an object, or \"none\"");
        return;
    }
    retry_policy p;
    // A schedule first: it sets its own defaults (as retry_policy::fixed_schedule), which
    // the other keys may then override, whatever their order in the document.
    if (const config_value* s = config_reader::given(v.get_object(), "schedule")) {
        const std::string at = config_reader::key_path(path, "schedule");
        if (const auto* arr = s->if_array()) {
            std::vector<std::chrono::milliseconds> delays;
            const std::size_t before = r.mark();
            for (std::size_t i = 0; i < arr->size(); ++i)
                if (const auto d = read_duration(r, (*arr)[i], config_reader::index_path(at, i)))
                    delays.push_back(*d);
            if (r.clean_since(before))
                p = retry_policy::fixed_schedule(std::move(delays));
        } else {
            r.problem(at, "must be an array of durations");
        }
    }
    static constexpr std::string_view keys[] = {"max_attempts",      "initial_delay",  "multiplier",
                                                "max_delay",         "max_total_time", "schedule",
                                                "retryable_statuses"};
    r.members(v, path, keys,
              [&](std::string_view key, const config_value& x, const std::string& at) {
                  if (key == "max_attempts")
                      read_value(r, x, at, p.max_attempts);
                  else if (key == "initial_delay")
                      read_value(r, x, at, p.initial_delay);
                  else if (key == "multiplier")
                      read_value(r, x, at, p.multiplier);
                  else if (key == "max_delay" || key == "max_total_time") {
                      if (const auto d = read_duration(r, x, at, true))
                          (key == "max_delay" ? p.max_delay : p.max_total_time) = *d;
                  } else if (key == "retryable_statuses")
                      read_value(r, x, at, p.retryable_statuses);
              });
    out = std::move(p);
}

} // namespace webhook::detail

#endif

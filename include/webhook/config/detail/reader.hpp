#ifndef WEBHOOK_CONFIG_DETAIL_READER_HPP
#define WEBHOOK_CONFIG_DETAIL_READER_HPP

#include <webhook/config/detail/text.hpp>
#include <webhook/config/options.hpp>
#include <webhook/detail/quote.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace webhook::detail {

using config_names = std::span<const std::string_view>;

/** What reading a configuration document keeps besides the endpoint: every problem found, and
    where validation's paths (the endpoint's members, `headers[0].value`) are written in the
    document (`headers.X-Api-Key`, `authentication.password_env`).

    Readers of each value type (config/detail/readers.hpp) report through it; rules that apply
    to every key live here: an unknown key is a problem, with a suggestion when it is a near
    miss of a known one; `null` means "not given". */
class config_reader {
public:
    using value = boost::json::value;
    using object = boost::json::object;
    using names = std::initializer_list<std::string_view>;

    std::vector<config_problem> problems;

    void problem(std::string path, std::string message) {
        problems.push_back({std::move(path), std::move(message)});
    }

    // A mark to ask "was anything wrong since?" for one section.
    std::size_t mark() const noexcept { return problems.size(); }
    bool clean_since(std::size_t m) const noexcept { return problems.size() == m; }

    /// Validation problems about `member_path` are reported under `json_path`.
    void rename(std::string member_path, std::string json_path) {
        renames_.emplace_back(std::move(member_path), std::move(json_path));
    }
    std::size_t renames() const noexcept { return renames_.size(); }
    void drop_renames_since(std::size_t n) { renames_.resize(n); }

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

    /// `parent.key`, or `parent["odd key"]` when the key is not a plain word.
    static std::string key_path(const std::string& parent, std::string_view key) {
        if (!is_plain_key(key))
            return parent + "[" + quote_for_message(key) + "]";
        return parent.empty() ? std::string(key) : parent + "." + std::string(key);
    }

    static std::string index_path(const std::string& parent, std::size_t i) {
        return parent + "[" + std::to_string(i) + "]";
    }

    static bool contains(config_names known, std::string_view key) {
        return std::find(known.begin(), known.end(), key) != known.end();
    }
    static bool contains(names known, std::string_view key) {
        return contains(config_names(known.begin(), known.size()), key);
    }

    void unknown_key(const std::string& path, std::string_view key, config_names known) {
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
    void unknown_key(const std::string& path, std::string_view key, names known) {
        unknown_key(path, key, config_names(known.begin(), known.size()));
    }

    /// Calls `f(key, value, path)` for each member of `v` that is a known, non-null key.
    template <class F>
    void members(const value& v, const std::string& path, config_names known, F&& f) {
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

    /// The non-null value of `key` in `obj`, or none.
    static const value* given(const object& obj, std::string_view key) {
        const value* v = obj.if_contains(key);
        return v && !v->is_null() ? v : nullptr;
    }

    /// A whole number of either sign. `8.0` and `1e3` count: JSON does not tell them apart.
    static std::optional<std::int64_t> whole_number(const value& v) {
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

    /// One of `choices` (compared without case), as its index.
    std::optional<std::size_t> choice(const value& v, const std::string& path,
                                      config_names choices) {
        if (const auto* s = v.if_string()) {
            for (std::size_t i = 0; i < choices.size(); ++i)
                if (iequals(*s, choices[i]))
                    return i;
        }
        problem(path, "must be " + choice_list(choices));
        return std::nullopt;
    }
    std::optional<std::size_t> choice(const value& v, const std::string& path, names choices) {
        return choice(v, path, config_names(choices.begin(), choices.size()));
    }

    /// `"a", "b" or "c"`.
    static std::string choice_list(config_names choices) {
        std::string m;
        for (std::size_t i = 0; i < choices.size(); ++i) {
            if (i > 0)
                m += i + 1 == choices.size() ? " or " : ", ";
            m.append("\"").append(choices[i]).append("\"");
        }
        return m;
    }

    std::optional<secret> secret_from(const object& obj, const std::string& path,
                                      const std::string& base, const std::string& member_path);

    std::optional<std::size_t> section_type(const object& obj, const std::string& path, names types,
                                            std::initializer_list<names> keys);

private:
    std::vector<std::pair<std::string, std::string>> renames_;

    static bool is_plain_key(std::string_view key) noexcept {
        if (key.empty())
            return false;
        for (const char c : key)
            if (!is_token_char(c) || c == '.') // a dot would read as a level of nesting
                return false;
        return true;
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
};

/** A secret from exactly one of `<base>`, `<base>_env`, `<base>_file` of `obj`. Problems
    name the variable or the file, never the value. On success, validation problems about
    `member_path` are reported under the key the operator used. */
inline std::optional<secret> config_reader::secret_from(const object& obj, const std::string& path,
                                                        const std::string& base,
                                                        const std::string& member_path) {
    const std::string keys[] = {base, base + "_env", base + "_file"};
    const value* found_value = nullptr;
    std::size_t which = 0;
    std::size_t found = 0;
    for (std::size_t i = 0; i < 3; ++i)
        if (const value* v = given(obj, keys[i])) {
            found_value = v;
            which = i;
            ++found;
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
    const auto* text = found_value->if_string();
    if (!text) {
        problem(at, "must be a string");
        return std::nullopt;
    }
    rename(member_path, at);
    const std::string name(*text);
    if (which == 0)
        return secret(name);
    if (name.empty() || name.find('\0') != std::string::npos) {
        problem(at, which == 1 ? "must name an environment variable" : "must name a file");
        return std::nullopt;
    }
    if (which == 1) {
        const char* env = std::getenv(name.c_str());
        if (!env) {
            problem(at, "environment variable " + quote_for_message(name) + " is not set");
            return std::nullopt;
        }
        return secret(env);
    }
    std::string error;
    auto content = read_whole_file(name, error);
    if (!content) {
        problem(at, "cannot read " + quote_for_message(name) + ": " + error);
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
inline std::optional<std::size_t> config_reader::section_type(const object& obj,
                                                              const std::string& path, names types,
                                                              std::initializer_list<names> keys) {
    const config_names type_names(types.begin(), types.size());
    const value* type_value = given(obj, "type");
    if (!type_value) {
        problem(key_path(path, "type"), "is required: " + choice_list(type_names));
        return std::nullopt;
    }
    const auto type = choice(*type_value, key_path(path, "type"), type_names);
    if (!type)
        return std::nullopt;
    const names known = *(keys.begin() + *type);
    for (const auto& member : obj) {
        const std::string_view key = member.key();
        if (contains(known, key))
            continue;
        if (std::any_of(keys.begin(), keys.end(), [&](names k) { return contains(k, key); }))
            problem(key_path(path, key),
                    "is not used with type \"" + std::string(type_names[*type]) + "\"");
        else
            unknown_key(key_path(path, key), key, known);
    }
    return type;
}

} // namespace webhook::detail

#endif

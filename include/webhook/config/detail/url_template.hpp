#ifndef WEBHOOK_CONFIG_DETAIL_URL_TEMPLATE_HPP
#define WEBHOOK_CONFIG_DETAIL_URL_TEMPLATE_HPP

#include <webhook/detail/quote.hpp>
#include <webhook/error.hpp>
#include <webhook/json/detail/kind.hpp>
#include <webhook/json/detail/members.hpp>
#include <webhook/transport/url.hpp>

#include <boost/describe/enumerators.hpp>
#include <boost/describe/members.hpp>
#include <boost/mp11/algorithm.hpp>
#include <boost/system/errc.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <array>
#include <charconv>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace webhook::detail {

/// Member types a URL placeholder can take: strings, characters, integers, bools, described
/// enums (by wire name).
template <class T>
inline constexpr bool is_url_value = [] {
    using json::detail::kind;
    constexpr kind k = json::detail::kind_of<T>;
    return k == kind::string || k == kind::c_string || k == kind::character || k == kind::integer ||
           k == kind::boolean || k == kind::enumeration;
}();

template <template <class...> class L, class... D>
constexpr auto url_value_table(L<D...>) noexcept {
    return std::array<bool, sizeof...(D)>{is_url_value<json::detail::member_t<D>>...};
}

/// Appends `s` percent-encoded (RFC 3986): unreserved characters as they are, every other
/// byte as `%XX` with uppercase hex digits.
inline void append_percent_encoded(std::string& out, std::string_view s) {
    constexpr char hex[] = "0123456789ABCDEF";
    for (const char c : s) {
        const auto b = static_cast<unsigned char>(c);
        const bool unreserved = (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') ||
                                (b >= '0' && b <= '9') || b == '-' || b == '.' || b == '_' ||
                                b == '~';
        if (unreserved) {
            out += c;
        } else {
            out += '%';
            out += hex[b >> 4];
            out += hex[b & 15];
        }
    }
}

/// Appends one member value, percent-encoded; fails only for an enum value without a name.
template <class T>
boost::system::error_code append_url_value(std::string& out, const T& v) {
    using json::detail::kind;
    constexpr kind k = json::detail::kind_of<T>;
    static_assert(is_url_value<T>, "this member type cannot go in a URL");
    if constexpr (k == kind::string) {
        append_percent_encoded(out, std::string_view(v));
    } else if constexpr (k == kind::c_string) {
        if (v != nullptr) // a null pointer is an empty value, as an empty string would be
            append_percent_encoded(out, std::string_view(v));
    } else if constexpr (k == kind::character) {
        append_percent_encoded(out, std::string_view(&v, 1));
    } else if constexpr (k == kind::boolean) {
        out += v ? "true" : "false";
    } else if constexpr (k == kind::integer) {
        char buf[48]; // enough for 128-bit integers and a sign
        const auto r = std::to_chars(buf, buf + sizeof buf, v);
        out.append(buf, r.ptr); // digits and '-' are unreserved
    } else {
        // A described enum: its wire name, as the JSON body has it.
        static_assert(json::detail::check_wire_names<T>());
        bool named = false;
        boost::mp11::mp_for_each<boost::describe::describe_enumerators<T>>([&](auto d) {
            if (!named && d.value == v) {
                named = true;
                append_percent_encoded(out, json::detail::wire_name<T, decltype(d)>::value);
            }
        });
        if (!named)
            return make_error_code(error::unnamed_enum_value);
    }
    return {};
}

/** An endpoint URL whose path and query may name members of the event, as in
    `https://itsm.example.com/api/incidents/{id}?note={state}`.

    A placeholder is `{name}`, where `name` is the wire name of a described member of the event
    (as in its JSON body, renames and naming policy applied). Placeholders may stand only in the
    path and the query: the scheme, host and port are fixed, so that connections, TLS names and
    credentials never depend on event data. A URL without placeholders is an ordinary
    `endpoint_url`.

    Expanded values are percent-encoded (RFC 3986: unreserved characters as they are, every
    other byte `%XX`), so a value cannot add a path segment, a query parameter or a fragment.
    The literal parts of the URL are sent byte-exact, as `endpoint_url` sends them.

    A value in the path that would make a dot segment is refused: receivers and proxies
    resolve `.` and `..` (many after decoding `%2E`, `%2F` and `%5C`), so `..` in
    `/incidents/{id}/comments` would send the request to `/comments`. See `expand_target`. */
class url_template {
public:
    /** Parses `text`. The URL with each placeholder replaced by a dummy value must be a valid
        `endpoint_url`.

        @returns the template, or a message naming the problem. The message never quotes the
                 URL (which may hold secrets in its query), e.g. "unclosed '{'",
                 "placeholder in the host is not allowed", "scheme must be http or https". */
    static boost::system::result<url_template, std::string> parse(std::string_view text);

    /** The parsed URL. Its origin and `Host` header are the template's; its target is the
        request target only when there are no placeholders (otherwise each placeholder holds a
        dummy value there: use `expand_target`). */
    const endpoint_url& url() const noexcept { return url_; }

    /// Whether the path or the query has at least one placeholder.
    bool has_placeholders() const noexcept { return !placeholders_.empty(); }

    /// Scheme, host and port, fixed for every event.
    const webhook::origin& origin() const noexcept { return url_.origin(); }

    /// The `Host` header value, fixed for every event.
    std::string_view host_header() const noexcept { return url_.host_header(); }

    /** Checks that every placeholder names a described member of `Event` whose type can go in
        a URL: a string (`std::string`, `std::string_view`, `const char*`, ...), `char`, an
        integer, `bool`, or a described enum (written by its wire name). An event type without
        described members (a `boost::json::value`, a map) fits a URL without placeholders only.

        @returns nothing when `expand_target<Event>` will succeed for every event (except for
                 an enum value without a name), else a message such as
                 "placeholder {idd} names no member of the event". */
    template <class Event>
    std::optional<std::string> check() const;

    /** Appends the request target (path and query) for `ev` to `out`, each placeholder replaced
        by the member's value, percent-encoded. Allocates only when `out` lacks capacity (and
        for `why`, on failure).

        Precondition: `check<Event>()` returned nothing; otherwise an unknown placeholder gives
        `errc::invalid_argument`.

        Dot segments: the path is cut into pieces at `/` and at what servers may decode to a
        separator (`%2F`, `%5C`, either case). A piece that holds a placeholder's value (or
        its empty value) must not read as `.` or `..` once `%2E` is read as `.` and a path
        parameter (from the first `;` or `%3B` on) is dropped, as some servers do; a `;` of
        the template's own before the value leaves the piece alone. So `..`, `.`, `a/../b`,
        `..;x` are refused in the path, and so are `.` and an empty value in `/files/.{ext}`;
        `...`, `.a`, `1.2` are fine, and nothing in the query is checked.

        @param why when not null and the expansion fails, set to a sentence that names the
                   placeholder, e.g. `placeholder {id}: the value makes the path segment "..",
                   which receivers resolve to another resource` (never quoting the value).
        @returns `error::url_placeholder_dot_segment` for a dot segment;
                 `error::unnamed_enum_value` when an enum member's value has no described name;
                 `out` then holds a partial target. */
    template <class Event>
    boost::system::error_code expand_target(const Event& ev, std::string& out,
                                            std::string* why = nullptr) const;

private:
    static constexpr const char* no_members_message =
        " needs an event type described with BOOST_DESCRIBE_STRUCT to take its value from";

    template <class Event>
    std::optional<std::string> check_described() const;
    template <class Event, class Fail>
    boost::system::error_code expand_described(const Event& ev, std::string& out,
                                               const Fail& fail) const;

    bool literal_parts_match() const;

    struct placeholder {
        std::size_t offset; // in target_, where the value goes
        std::string name;
        bool in_path; // else in the query, where dot segments mean nothing
    };

    class dot_segment_scan;

    explicit url_template(endpoint_url url) : url_(std::move(url)) {}

    template <class Event>
    static std::size_t member_index(std::string_view name) noexcept;

    endpoint_url url_;
    // The request target without its placeholders: the literal bytes, placeholders_ say where
    // each value goes.
    std::string target_;
    std::vector<placeholder> placeholders_;
};

/// "placeholder {id}", the name escaped as every message escapes what a user wrote.
inline std::string placeholder_for_message(std::string_view name) {
    std::string m = "placeholder {";
    append_escaped(m, name);
    m += '}';
    return m;
}

/** Finds dot segments made by placeholder values, as `expand_target` appends the target: fed
    each literal part and each value in turn, where they are written in the output. Neither
    part splits a `%XX` (the template's literal escapes are checked whole by `parse`, values
    are encoded whole), so a piece of text is looked at one part at a time. */
class url_template::dot_segment_scan {
public:
    dot_segment_scan(const std::string& out, std::size_t base) noexcept : out_(out), piece_(base) {}

    /// The text `out[from, out.size())` just appended: a literal part, or placeholder `index`'s
    /// value. False when a piece that closed is a dot segment.
    bool literal(std::size_t from) noexcept { return feed(from, npos); }
    bool value(std::size_t from, std::size_t index) noexcept {
        if (in_query_)
            return true;
        if (value_at_ == npos) // an empty value counts: it sits in its piece all the same
            value_at_ = from;
        name(index, out_.size() > from);
        return feed(from, index);
    }
    /// The end of the target.
    bool finish() noexcept { return in_query_ || close(out_.size()); }

    std::size_t placeholder() const noexcept { return placeholder_; }
    std::string_view segment() const noexcept { return dots_ == 1 ? "." : ".."; }

private:
    static constexpr std::size_t npos = std::string::npos;

    /// The placeholder to name for the current piece: the first whose value has text in it,
    /// else the first (an empty value next to the template's dots).
    void name(std::size_t index, bool has_text) noexcept {
        if (!named_ || (has_text && !named_has_text_)) {
            placeholder_ = index;
            named_ = true;
            named_has_text_ = has_text;
        }
    }

    /// Whether `rest` starts with `%` `hi` `lo`, the letter `lo` in either case.
    static bool escape_of(std::string_view rest, char hi, char lo) noexcept {
        return rest.size() >= 3 && rest[0] == '%' && rest[1] == hi && (rest[2] | 0x20) == lo;
    }

    bool feed(std::size_t from, std::size_t index) noexcept {
        for (std::size_t i = from; i < out_.size() && !in_query_;) {
            const std::string_view rest = std::string_view(out_).substr(i);
            std::size_t separator = 0;
            if (rest[0] == '/')
                separator = 1;
            else if (escape_of(rest, '2', 'f') || escape_of(rest, '5', 'c'))
                separator = 3;
            if (index == npos && rest[0] == '?') { // the query: nothing more to check
                in_query_ = true;
                return close(i);
            }
            if (separator == 0) {
                i += rest[0] == '%' && rest.size() >= 3 ? 3 : 1;
                continue;
            }
            if (!close(i))
                return false;
            piece_ = i + separator;
            if (index != npos) { // the value goes on into the next piece
                value_at_ = piece_;
                name(index, piece_ < out_.size());
            }
            i = piece_;
        }
        return true;
    }

    /// Ends the piece `out[piece_, end)`: false when a value is in it and it is a dot segment.
    bool close(std::size_t end) noexcept {
        const std::size_t value_at = value_at_;
        value_at_ = npos;
        named_ = named_has_text_ = false;
        if (value_at == npos)
            return true; // the template's own: not event data
        dots_ = 0;
        for (std::size_t i = piece_; i < end;) {
            const std::string_view rest = std::string_view(out_).substr(i, end - i);
            if (rest[0] == ';' || escape_of(rest, '3', 'b')) {
                if (i < value_at)
                    return true; // the value is in a parameter the template wrote
                break;           // a path parameter, which some servers drop
            }
            if (rest[0] == '.')
                i += 1;
            else if (escape_of(rest, '2', 'e'))
                i += 3;
            else
                return true;
            ++dots_;
        }
        return dots_ != 1 && dots_ != 2;
    }

    const std::string& out_;
    std::size_t piece_;           // where the current piece starts in out_
    std::size_t value_at_ = npos; // where the first value in it starts, or npos
    std::size_t placeholder_ = 0; // the placeholder to name for it
    bool named_ = false;          // placeholder_ is set for this piece
    bool named_has_text_ = false; // and its value has text in the piece
    std::size_t dots_ = 0;        // of the piece that was a dot segment
    bool in_query_ = false;
};

inline const char* url_error_message(boost::system::error_code ec) noexcept {
    if (ec == error::unsupported_url_scheme)
        return "scheme must be http or https";
    if (ec == error::url_has_credentials)
        return "credentials in the URL are not allowed; configure authentication instead";
    return "not a valid URL";
}

// Where a character sits, by RFC 3986's generic syntax: scheme ":" ["//" authority] path
// ["?" query] ["#" fragment]. Placeholders are allowed in path and query only.
enum class url_part { scheme, slashes, authority, path, query, fragment };

// The part the characters after `c` belong to, `c` being in `where`; `slashes` counts the
// slashes after the scheme.
inline url_part url_part_after(url_part where, char c, int& slashes) noexcept {
    switch (where) {
    case url_part::scheme:
        return c == ':' ? url_part::slashes : where;
    case url_part::slashes:
        if (c == '/')
            return ++slashes == 2 ? url_part::authority : where;
        return url_part::path; // no authority: endpoint_url refuses it
    case url_part::authority:
        if (c == '/')
            return url_part::path;
        [[fallthrough]];
    case url_part::path:
        return c == '?' ? url_part::query : c == '#' ? url_part::fragment : where;
    case url_part::query:
        return c == '#' ? url_part::fragment : where;
    case url_part::fragment:
        break;
    }
    return where;
}

// Why a placeholder may not stand in `where`, or nullptr when it may.
inline const char* placeholder_misplaced(url_part where) noexcept {
    switch (where) {
    case url_part::scheme:
        return "placeholder in the scheme is not allowed";
    case url_part::slashes:
    case url_part::authority:
        return "placeholder in the host is not allowed";
    case url_part::fragment:
        return "placeholder in the fragment is not allowed";
    case url_part::path:
    case url_part::query:
        break;
    }
    return nullptr;
}

inline boost::system::result<url_template, std::string> url_template::parse(std::string_view text) {
    url_part where = url_part::scheme;
    int slashes = 0;
    const char* misplaced = nullptr; // why the first placeholder outside path and query is

    std::string dummy; // the URL with each placeholder replaced by "x", for endpoint_url
    dummy.reserve(text.size());
    std::string target;
    std::vector<placeholder> placeholders;

    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '}')
            return std::string("unmatched '}'");
        if (c == '{') {
            std::size_t end = i + 1;
            while (end < text.size() && text[end] != '}' && text[end] != '{')
                ++end;
            if (end == text.size() || text[end] == '{')
                return std::string("unclosed '{'");
            if (end == i + 1)
                return std::string("empty placeholder name");
            // Reported after the scan: text with no ':' at all is no URL, whatever the braces.
            if (!misplaced)
                misplaced = placeholder_misplaced(where);
            placeholders.push_back({target.size(), std::string(text.substr(i + 1, end - i - 1)),
                                    where != url_part::query});
            dummy += 'x';
            i = end;
            continue;
        }
        dummy += c;
        where = url_part_after(where, c, slashes);
        // The target is the path and the query as written, '?' included; the fragment is not
        // sent. A '#' always moves to the fragment, so it is never collected.
        if (where == url_part::path || where == url_part::query) {
            if (target.empty() && c == '?')
                target += '/'; // an empty path is sent as '/', as endpoint_url does
            target += c;
        }
    }
    if (target.empty())
        target = "/";
    if (where == url_part::scheme)
        return std::string(url_error_message(make_error_code(error::invalid_url)));
    if (misplaced)
        return std::string(misplaced);

    auto url = endpoint_url::parse(dummy);
    if (!url)
        return std::string(url_error_message(url.error()));
    url_template t(std::move(*url));
    t.target_ = std::move(target);
    t.placeholders_ = std::move(placeholders);
    if (!t.literal_parts_match())
        return std::string("not a valid URL");
    return t;
}

// The literal parts must be exactly what endpoint_url would send: checked with the dummies.
inline bool url_template::literal_parts_match() const {
    std::string expanded;
    std::size_t at = 0;
    for (const placeholder& p : placeholders_) {
        expanded.append(target_, at, p.offset - at);
        expanded += 'x';
        at = p.offset;
    }
    expanded.append(target_, at);
    return expanded == url_.target();
}

template <class Event>
std::size_t url_template::member_index(std::string_view name) noexcept {
    constexpr auto& names = json::detail::wire_names_of<Event>;
    for (std::size_t i = 0; i < names.size(); ++i)
        if (names[i] == name)
            return i;
    return names.size();
}

template <class Event>
std::optional<std::string> url_template::check() const {
    if constexpr (!boost::describe::has_describe_members<Event>::value) {
        // A JSON document, a map, ...: it has no members a placeholder could name.
        if (placeholders_.empty())
            return std::nullopt;
        return placeholder_for_message(placeholders_.front().name) + no_members_message;
    } else {
        return check_described<Event>();
    }
}

template <class Event>
std::optional<std::string> url_template::check_described() const {
    static_assert(json::detail::check_wire_names<Event>());
    constexpr auto supported = url_value_table(json::detail::members_of<Event>{});
    for (const placeholder& p : placeholders_) {
        const std::size_t i = member_index<Event>(p.name);
        if (i == supported.size())
            return placeholder_for_message(p.name) + " names no member of the event";
        if (!supported[i])
            return placeholder_for_message(p.name) +
                   " names a member whose type cannot go in a URL";
    }
    return std::nullopt;
}

template <class Event>
boost::system::error_code url_template::expand_target(const Event& ev, std::string& out,
                                                      std::string* why) const {
    const auto fail = [&](boost::system::error_code ec, const placeholder& p, const char* what) {
        if (why)
            *why = placeholder_for_message(p.name) + what;
        return ec;
    };
    if constexpr (!boost::describe::has_describe_members<Event>::value) {
        if (!placeholders_.empty())
            return fail(make_error_code(boost::system::errc::invalid_argument),
                        placeholders_.front(), no_members_message);
        out.append(target_);
        return {};
    } else {
        return expand_described(ev, out, fail);
    }
}

template <class Event, class Fail>
boost::system::error_code url_template::expand_described(const Event& ev, std::string& out,
                                                         const Fail& fail) const {
    static_assert(json::detail::check_wire_names<Event>());
    using members = json::detail::members_of<Event>;
    constexpr std::size_t count = boost::mp11::mp_size<members>::value;
    dot_segment_scan scan(out, out.size());
    const auto dot_segment = [&] {
        const placeholder& p = placeholders_[scan.placeholder()];
        return fail(make_error_code(error::url_placeholder_dot_segment), p,
                    (": the value makes the path segment \"" + std::string(scan.segment()) +
                     "\", which receivers resolve to another resource")
                        .c_str());
    };
    std::size_t at = 0;
    for (std::size_t n = 0; n < placeholders_.size(); ++n) {
        const placeholder& p = placeholders_[n];
        const std::size_t literal = out.size();
        out.append(target_, at, p.offset - at);
        at = p.offset;
        if (!scan.literal(literal))
            return dot_segment();
        const std::size_t i = member_index<Event>(p.name);
        if (i == count)
            return fail(make_error_code(boost::system::errc::invalid_argument), p,
                        " names no member of the event");
        const std::size_t value = out.size();
        boost::system::error_code ec;
        if constexpr (count > 0) {
            boost::mp11::mp_with_index<count>(i, [&](auto I) {
                using D = boost::mp11::mp_at_c<members, I>;
                using T = json::detail::member_t<D>;
                if constexpr (is_url_value<T>)
                    ec = append_url_value(out, ev.*D::pointer);
                else
                    ec = make_error_code(boost::system::errc::invalid_argument);
            });
        }
        if (ec == boost::system::errc::invalid_argument)
            return fail(ec, p, " names a member whose type cannot go in a URL");
        if (ec)
            return fail(ec, p, ": the enum value has no described name");
        if (p.in_path && !scan.value(value, n))
            return dot_segment();
    }
    const std::size_t literal = out.size();
    out.append(target_, at);
    if (!scan.literal(literal) || !scan.finish())
        return dot_segment();
    return {};
}

} // namespace webhook::detail

#endif

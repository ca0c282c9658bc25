#ifndef WEBHOOK_JSON_DETAIL_MEMBERS_HPP
#define WEBHOOK_JSON_DETAIL_MEMBERS_HPP

#include <webhook/detail/utf8.hpp>
#include <webhook/json/detail/escape.hpp>
#include <webhook/json/wire_names.hpp>

#include <boost/describe/enumerators.hpp>
#include <boost/describe/members.hpp>
#include <boost/describe/modifiers.hpp>
#include <boost/mp11/algorithm.hpp>

#include <array>
#include <cstddef>
#include <string_view>
#include <type_traits>

// Compile-time member tables: the wire name of every described member and its pre-quoted key.
namespace webhook::json::detail {

/// The members written for `T`: every access level, inherited ones from described bases.
template <class T>
using members_of = boost::describe::describe_members<T, boost::describe::mod_any_access |
                                                            boost::describe::mod_inherited>;

template <class P>
struct member_pointer_traits;
template <class M, class C>
struct member_pointer_traits<M C::*> {
    using type = M;
};

/// The declared type of described member `D`, without cv or reference.
template <class D>
using member_t = std::remove_cvref_t<
    typename member_pointer_traits<std::remove_cv_t<decltype(D::pointer)>>::type>;

constexpr bool is_upper(char c) noexcept {
    return c >= 'A' && c <= 'Z';
}
constexpr bool is_lower(char c) noexcept {
    return c >= 'a' && c <= 'z';
}
constexpr bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}
constexpr char to_upper(char c) noexcept {
    return is_lower(c) ? static_cast<char>(c - 32) : c;
}
constexpr char to_lower(char c) noexcept {
    return is_upper(c) ? static_cast<char>(c + 32) : c;
}

/** Applies a naming policy to an identifier, writing to `out` unless it is null.
    Returns the size of the result. See `webhook::json::naming` for the rules. */
constexpr std::size_t apply_naming(naming policy, std::string_view id, char* out) noexcept {
    std::size_t n = 0;
    const auto put = [&](char c) {
        if (out)
            out[n] = c;
        ++n;
    };
    if (policy == naming::as_is) {
        for (const char c : id)
            put(c);
        return n;
    }
    std::size_t words = 0;
    bool in_word = false;
    for (std::size_t i = 0; i < id.size(); ++i) {
        const char c = id[i];
        if (c == '_') {
            in_word = false;
            continue;
        }
        bool starts_word = !in_word;
        if (in_word && is_upper(c)) {
            const char prev = id[i - 1];
            const bool next_lower = i + 1 < id.size() && is_lower(id[i + 1]);
            starts_word = is_lower(prev) || is_digit(prev) || (is_upper(prev) && next_lower);
        }
        in_word = true;
        if (!starts_word) {
            put(to_lower(c));
            continue;
        }
        if (words > 0 && policy == naming::snake_case)
            put('_');
        if (words > 0 && policy == naming::kebab_case)
            put('-');
        const bool capital =
            policy == naming::pascal_case || (policy == naming::camel_case && words > 0);
        put(capital ? to_upper(c) : to_lower(c));
        ++words;
    }
    return n;
}

template <class T>
constexpr naming naming_of() noexcept {
    if constexpr (requires { wire_names<T>::policy; })
        return wire_names<T>::policy;
    else
        return naming::as_is;
}

struct rename_lookup {
    bool found = false;
    std::string_view wire;
};

template <class T>
constexpr rename_lookup find_rename(std::string_view member) noexcept {
    if constexpr (requires { wire_names<T>::renames; }) {
        for (const rename& r : wire_names<T>::renames)
            if (r.member == member)
                return {true, r.wire};
    }
    return {};
}

/// The wire name of member `D` of `T`, stored in a static array of exactly its size.
template <class T, class D>
struct wire_name {
    static constexpr rename_lookup renamed = find_rename<T>(D::name);
    static constexpr std::size_t size =
        renamed.found ? renamed.wire.size() : apply_naming(naming_of<T>(), D::name, nullptr);
    static constexpr std::array<char, size> storage = [] {
        std::array<char, size> a{};
        if (renamed.found)
            for (std::size_t i = 0; i < size; ++i)
                a[i] = renamed.wire[i];
        else
            apply_naming(naming_of<T>(), D::name, a.data());
        return a;
    }();
    static constexpr std::string_view value{storage.data(), size};
};

/// `"<escaped wire name>"`: an enumerator, and the core of a member key.
template <class T, class D>
struct quoted_name {
    static constexpr std::string_view name = wire_name<T, D>::value;
    static constexpr std::size_t size = escaped_size(name) + 2;
    static constexpr std::array<char, size> bytes = [] {
        std::array<char, size> a{};
        char* p = a.data();
        *p++ = '"';
        p = escape_to(p, name);
        *p = '"';
        return a;
    }();
};

/// `,"<escaped wire name>":` for member `D` of `T`; the first member's comma becomes `{`.
template <class T, class D>
struct member_key {
    using quoted = quoted_name<T, D>;
    static constexpr std::size_t size = quoted::size + 2;
    static constexpr std::array<char, size> bytes = [] {
        std::array<char, size> a{};
        a[0] = ',';
        for (std::size_t i = 0; i < quoted::size; ++i)
            a[i + 1] = quoted::bytes[i];
        a[size - 1] = ':';
        return a;
    }();
};

/// What `wire_names<T>` renames: the members of a class, the enumerators of an enum.
template <class T, bool = std::is_enum_v<T>>
struct named_parts {
    using type = members_of<T>;
};
template <class T>
struct named_parts<T, true> {
    using type = boost::describe::describe_enumerators<T>;
};

template <class T, template <class...> class L, class... D>
constexpr auto wire_name_table(L<D...>) noexcept {
    return std::array<std::string_view, sizeof...(D)>{wire_name<T, D>::value...};
}

/// Wire names of all members (or enumerators) of `T`, in declaration order, bases first.
template <class T>
inline constexpr auto wire_names_of = wire_name_table<T>(typename named_parts<T>::type{});

template <class T, template <class...> class L, class... D>
constexpr auto member_name_table(L<D...>) noexcept {
    return std::array<std::string_view, sizeof...(D)>{std::string_view(D::name)...};
}

// Called only from a failing constant expression: the compiler names the function, which is
// the message. They have no definition because they are never called at run time.
void wire_names_error_two_members_have_the_same_wire_name();
void wire_names_error_a_wire_name_is_not_valid_utf8();

/// Text as a template argument, so that a compile error can quote it: GCC and Clang print
/// `name_text<11>{"identifier"}` (the terminating NUL is part of `N`).
template <std::size_t N>
struct name_text {
    char chars[N];
};

template <std::size_t N>
consteval name_text<N> make_name_text(std::string_view s) {
    name_text<N> t{};
    for (std::size_t i = 0; i + 1 < N; ++i)
        t.chars[i] = s[i];
    return t;
}

/// False, but only once `T` is known: for a `static_assert` that fires on instantiation.
template <class T>
inline constexpr bool dependent_false = false;

/// Instantiated for the first rename of `wire_names<T>` whose member (or enumerator) `T` does
/// not have: the error quotes the rename, `{"member"}` then `{"wire name"}`.
template <class T, name_text Member, name_text Wire>
struct wire_names_error_rename_names_no_member {
    static_assert(dependent_false<T>,
                  "webhook::json::wire_names<T>: a rename names a member (or enumerator) that T "
                  "does not have. T, the member name and the wire name are in "
                  "'wire_names_error_rename_names_no_member<T, {\"member\"}, {\"wire\"}>' "
                  "above.");
};

/// Index of the first rename of `wire_names<T>` naming no member of `T`, or -1.
template <class T>
consteval std::ptrdiff_t unknown_rename_index() {
    if constexpr (requires { wire_names<T>::renames; }) {
        constexpr auto members = member_name_table<T>(typename named_parts<T>::type{});
        std::ptrdiff_t i = 0;
        for (const rename& r : wire_names<T>::renames) {
            bool found = false;
            for (std::string_view m : members)
                found = found || m == r.member;
            if (!found)
                return i;
            ++i;
        }
    }
    return -1;
}

/// Compile-time check of `wire_names<T>`; used as `static_assert(check_wire_names<T>())`.
template <class T>
consteval bool check_wire_names() {
    if constexpr (constexpr std::ptrdiff_t i = unknown_rename_index<T>(); i >= 0) {
        constexpr rename r = wire_names<T>::renames[i];
        (void)sizeof(
            wire_names_error_rename_names_no_member<T,
                                                    make_name_text<r.member.size() + 1>(r.member),
                                                    make_name_text<r.wire.size() + 1>(r.wire)>);
        return true; // the error above is the message; no second one
    } else {
        constexpr auto& wires = wire_names_of<T>;
        for (std::size_t i = 0; i < wires.size(); ++i) {
            if (webhook::detail::find_invalid_utf8(wires[i]) != std::string_view::npos)
                wire_names_error_a_wire_name_is_not_valid_utf8();
            for (std::size_t j = i + 1; j < wires.size(); ++j)
                if (wires[i] == wires[j])
                    wire_names_error_two_members_have_the_same_wire_name();
        }
        return true;
    }
}

} // namespace webhook::json::detail

#endif

#ifndef WEBHOOK_JSON_WIRE_NAMES_HPP
#define WEBHOOK_JSON_WIRE_NAMES_HPP

#include <cstddef>
#include <string_view>

namespace webhook::json {

/** How member names become names on the wire, for a whole struct.

    The member name is split into words at `_` and at lower-to-upper case changes
    (`HTTPCode` is `HTTP` + `Code`); a trailing or leading `_` (as in a private `id_`)
    only separates. Then the words are joined:

    | policy        | `short_description` | `userID`   | `id_` |
    |---------------|---------------------|------------|-------|
    | `as_is`       | `short_description` | `userID`   | `id_` |
    | `camel_case`  | `shortDescription`  | `userId`   | `id`  |
    | `pascal_case` | `ShortDescription`  | `UserId`   | `Id`  |
    | `snake_case`  | `short_description` | `user_id`  | `id`  |
    | `kebab_case`  | `short-description` | `user-id`  | `id`  |
*/
enum class naming { as_is, camel_case, pascal_case, snake_case, kebab_case };

/// One explicit wire name: the member called `member` is written as `wire`.
struct rename {
    std::string_view member;
    std::string_view wire;
};

/** Customization point for the wire names of a described struct or enum `T`.

    Specialize it next to the struct; both members are optional:

    @code
    template <>
    struct webhook::json::wire_names<incident> {
        static constexpr auto policy = webhook::json::naming::camel_case;
        static constexpr webhook::json::rename renames[] = {
            {"custom_field", "u_custom-field"},
        };
    };
    @endcode

    An explicit rename wins over the policy. For a described enum, the same trait renames its
    enumerators: `{"new_", "new"}` writes `state::new_` as `"new"`. Checked at compile time: a
    rename that names no member (the error quotes it:
    `wire_names_error_rename_names_no_member<incident, {"custom_fild"}, {"u_custom-field"}>`),
    two members with the same wire name, or a wire name that is not valid UTF-8 is a compile
    error.
*/
template <class T>
struct wire_names {};

} // namespace webhook::json

#endif

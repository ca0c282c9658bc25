#ifndef WEBHOOK_JSON_SCHEMA_HPP
#define WEBHOOK_JSON_SCHEMA_HPP

#include <webhook/json/data_path.hpp>
#include <webhook/json/options.hpp>
#include <webhook/json/serialize.hpp>

#include <boost/json/value.hpp>

#include <string_view>

namespace webhook::json {

/// The dialect of every generated schema, written as `"$schema"` at its root.
inline constexpr std::string_view schema_dialect = "https://json-schema.org/draft/2020-12/schema";

/** The JSON Schema (draft 2020-12) of the documents `to_string(value, options)` writes for
    values of type `T`.

    The schema accepts every document the serializer can produce for a `T` under `options`
    and, as far as JSON Schema can say it, nothing else: described structs are closed objects
    (`"additionalProperties": false`), integers carry the exact range of their C++ type, and
    the options that change the output change the schema too:

    - `empty_optional_policy::omit` (default): optional members are not `"required"`;
      `empty_optional_policy::null`: they are required and may be `null`.
    - `non_finite_policy::null`: floating-point numbers may be `null`.
    - `utf8_policy::replace`: sets of strings no longer promise `"uniqueItems"`, since two
      different invalid strings can both become U+FFFD.

    Documents the serializer refuses (an unnamed enum value, a valueless variant, a time
    outside the years 0000-9999, a non-finite number or invalid UTF-8 under the rejecting
    defaults) have no schema to match: the schema describes successful output only.

    The result is an object: `"$schema"` first, then the payload's keywords, then `"$defs"`
    when a type contains itself (see below). Structs are written inline; a type that contains
    itself, directly or through other types (`struct node { std::vector<node> children; };`),
    is defined once under `"$defs"` and every use of it is `{"$ref": "#/$defs/<name>"}`. The
    name is the type's qualified name with `::` as `.` and any other character outside
    `[A-Za-z0-9_.-]` as `_` (`app::node` is `app.node`, `app::tree<int>` is `app.tree_int_`);
    a name already taken by another type gets `-2`, `-3`, ... appended.

    `T` must satisfy `serializable`; any other type is a compile error. `T` is taken without
    cv-qualifiers or reference.

    @param options the options the documents are written with
    @return the schema, ready for `boost::json::serialize`
*/
template <class T>
boost::json::value schema(const write_options& options = {});

/** The schema of the documents `to_string(value, path, options)` writes: the payload schema
    of `schema<T>(options)` wrapped under the data location.

    Each segment of `path` becomes a closed object with that one required property:
    `root/result` gives `{"type": "object", "properties": {"root": {"type": "object",
    "properties": {"result": <payload>}, ...}}, "required": ["root"],
    "additionalProperties": false}`. `"$schema"` and `"$defs"` stay at the root of the
    whole document. The empty path gives `schema<T>(options)`.
*/
template <class T>
boost::json::value schema(const data_path& path, const write_options& options = {});

/** `schema<"root/result", T>()`: the compile-time data location form, the schema of what
    `to_string<"root/result">(value, options)` writes. Same result as
    `schema<T>(data_path("root/result"), options)`.
*/
template <path_literal Path, class T>
boost::json::value schema(const write_options& options = {});

} // namespace webhook::json

#include <webhook/json/impl/schema.hpp>

#endif

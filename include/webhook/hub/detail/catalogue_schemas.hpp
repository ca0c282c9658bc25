#ifndef WEBHOOK_HUB_DETAIL_CATALOGUE_SCHEMAS_HPP
#define WEBHOOK_HUB_DETAIL_CATALOGUE_SCHEMAS_HPP

// The catalogue's components: named entries shared when equal, and the generated JSON Schemas
// made fit to live inside an AsyncAPI or OpenAPI document.

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace webhook::detail {

/// Where both documents keep their schemas; every reference the catalogue writes points here.
inline constexpr std::string_view catalogue_schema_ref = "#/components/schemas/";

/** `text` as a component key: both specifications allow only `[A-Za-z0-9._-]` there, so any
    other byte becomes `_` (and the empty text `_`). Such a key needs no escaping in a JSON
    Pointer either. */
inline std::string catalogue_key(std::string_view text) {
    std::string key;
    for (const char c : text) {
        const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                             (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        key.push_back(allowed ? c : '_');
    }
    return key.empty() ? "_" : key;
}

/** A components map (`schemas`, `messages`, `securitySchemes`) whose equal entries are
    written once: `add` returns the key of an equal entry when there is one, else the wanted
    key, or the wanted key with `-2`, `-3`, ... when another entry took it. Keys follow the
    order of the calls, so the same calls give the same document. */
class catalogue_components {
public:
    std::string add(std::string_view wanted, boost::json::value entry) {
        std::string text = boost::json::serialize(entry);
        if (const auto same = by_content_.find(text); same != by_content_.end())
            return same->second;
        std::string key(wanted);
        for (int n = 2; entries_.contains(key); ++n)
            key = std::string(wanted) + "-" + std::to_string(n);
        entries_[key] = std::move(entry);
        by_content_.emplace(std::move(text), key);
        return key;
    }

    /// Whether `key` is free, or holds exactly `entry` (which may then be put there again).
    bool fits(std::string_view key, const boost::json::value& entry) const {
        const auto* found = entries_.if_contains(key);
        return found == nullptr || *found == entry;
    }

    /// Puts `entry` under exactly `key`, which `fits` it.
    void put(std::string_view key, boost::json::value entry) {
        if (entries_.contains(key))
            return;
        by_content_.emplace(boost::json::serialize(entry), std::string(key));
        entries_[key] = std::move(entry);
    }

    bool empty() const noexcept { return entries_.empty(); }
    const boost::json::object& entries() const noexcept { return entries_; }

private:
    boost::json::object entries_;
    std::map<std::string, std::string> by_content_; // serialized entry -> its key
};

/// Rewrites every `{"$ref": "#/$defs/<name>"}` under `v` to the component `renamed[name]`.
inline void catalogue_rewrite_refs(boost::json::value& v,
                                   const std::map<std::string, std::string, std::less<>>& renamed) {
    if (auto* array = v.if_array()) {
        for (auto& item : *array)
            catalogue_rewrite_refs(item, renamed);
        return;
    }
    auto* object = v.if_object();
    if (object == nullptr)
        return;
    for (auto& member : *object) {
        // Only a string can be a reference: a property named "$ref" holds a schema object.
        if (member.key() == "$ref" && member.value().is_string()) {
            constexpr std::string_view local = "#/$defs/";
            const std::string_view target = member.value().get_string();
            if (target.starts_with(local))
                if (const auto to = renamed.find(target.substr(local.size())); to != renamed.end())
                    member.value() = std::string(catalogue_schema_ref) + to->second;
            continue;
        }
        catalogue_rewrite_refs(member.value(), renamed);
    }
}

/** A schema from `json::schema`, made fit to be embedded: without `"$schema"` and `"$defs"`,
    its definitions moved to `schemas` and its references rewritten to point there.

    Why: inside a larger document, `#/$defs/node` resolves against the root of the *whole*
    document (the AsyncAPI or OpenAPI file), where there is no `$defs`; and AsyncAPI's default
    schema format is its own draft-07 superset, in which a 2020-12 `"$schema"` does not belong
    (the keywords the generator uses mean the same in draft-07 and 2020-12). The definitions
    keep their names when free or equal (the same recursive type used by two event types is
    defined once); otherwise all of this schema's get `<owner>.` in front, `<owner>-2.`, ...,
    whichever first fits them all. */
inline boost::json::value catalogue_embed(boost::json::value generated, std::string_view owner,
                                          catalogue_components& schemas) {
    boost::json::object* root = generated.if_object();
    if (root == nullptr)
        return generated;
    boost::json::object defs;
    boost::json::object body;
    for (auto& member : *root)
        if (member.key() == "$defs" && member.value().is_object())
            defs = std::move(member.value().get_object());
        else if (member.key() != "$schema")
            body[member.key()] = std::move(member.value()); // keeps the members' order
    std::map<std::string, std::string, std::less<>> renamed;
    for (int attempt = 1;; ++attempt) {
        const std::string prefix =
            attempt == 1   ? std::string()
            : attempt == 2 ? std::string(owner) + "."
                           : std::string(owner) + "-" + std::to_string(attempt - 1) + ".";
        renamed.clear();
        for (const auto& def : defs)
            renamed[std::string(def.key())] = prefix + std::string(def.key());
        bool all_fit = true;
        for (const auto& def : defs) {
            boost::json::value rewritten = def.value();
            catalogue_rewrite_refs(rewritten, renamed);
            all_fit = all_fit && schemas.fits(renamed.at(std::string(def.key())), rewritten);
        }
        if (all_fit)
            break;
    }
    for (auto& def : defs) {
        catalogue_rewrite_refs(def.value(), renamed);
        schemas.put(renamed.at(std::string(def.key())), std::move(def.value()));
    }
    boost::json::value result = std::move(body);
    catalogue_rewrite_refs(result, renamed);
    return result;
}

} // namespace webhook::detail

#endif

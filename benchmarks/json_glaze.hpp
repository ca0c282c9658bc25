#ifndef WEBHOOK_BENCHMARKS_JSON_GLAZE_HPP
#define WEBHOOK_BENCHMARKS_JSON_GLAZE_HPP

// glaze 2.9.5 as an optional competitor of the serializer benchmark: included only when CMake
// is given WEBHOOK_BENCH_GLAZE_INCLUDE (glaze's include/ directory), which defines
// WEBHOOK_BENCH_GLAZE. glaze itself is never part of this repository.
//
// The payloads are described to glaze with explicit glz::meta (compile-time keys, as ours);
// the data location root/result is two wrapper objects, as the other competitors write it.

#include "json_payloads.hpp"

#include <glaze/glaze.hpp>

#include <string>
#include <string_view>

namespace bench {

template <class T>
struct glaze_result {
    const T* result = nullptr; // never null: glaze writes the pointee
};

template <class T>
struct glaze_root {
    glaze_result<T> root;
};

/// glz::write_json into one reused string, glaze's default options (no UTF-8 validation).
struct glaze_write {
    std::string out;

    template <class T>
    std::string_view operator()(const T& value) {
        const glaze_root<T> document{{&value}};
        if (glz::write_json(document, out))
            out.clear(); // an error: the start-up check then reports a different document
        return out;
    }
};

} // namespace bench

template <class T>
struct glz::meta<bench::glaze_result<T>> {
    static constexpr auto value = object("result", &bench::glaze_result<T>::result);
};

template <class T>
struct glz::meta<bench::glaze_root<T>> {
    static constexpr auto value = object("root", &bench::glaze_root<T>::root);
};

template <>
struct glz::meta<bench::incident_event> {
    using T = bench::incident_event;
    static constexpr auto value =
        object("sys_id", &T::sys_id, "number", &T::number, "short_description",
               &T::short_description, "state", &T::state, "priority", &T::priority, "impact",
               &T::impact, "opened_at", &T::opened_at, "business_impact", &T::business_impact,
               "assignment_group", &T::assignment_group, "tags", &T::tags);
};

template <>
struct glz::meta<bench::person> {
    using T = bench::person;
    static constexpr auto value = object("sys_id", &T::sys_id, "name", &T::name, "email", &T::email,
                                         "employee_number", &T::employee_number);
};

template <>
struct glz::meta<bench::configuration_item> {
    using T = bench::configuration_item;
    static constexpr auto value =
        object("sys_id", &T::sys_id, "name", &T::name, "ci_class", &T::ci_class, "environment",
               &T::environment, "criticality", &T::criticality, "operational", &T::operational);
};

template <>
struct glz::meta<bench::change_request> {
    using T = bench::change_request;
    static constexpr auto value = object(
        "sys_id", &T::sys_id, "number", &T::number, "short_description", &T::short_description,
        "state", &T::state, "risk", &T::risk, "priority", &T::priority, "start_at", &T::start_at,
        "end_at", &T::end_at, "risk_score", &T::risk_score, "emergency", &T::emergency, "caller",
        &T::caller, "assignee", &T::assignee, "affected_items", &T::affected_items);
};

template <>
struct glz::meta<bench::knowledge_note> {
    using T = bench::knowledge_note;
    static constexpr auto value =
        object("sys_id", &T::sys_id, "number", &T::number, "title", &T::title, "description",
               &T::description, "work_notes", &T::work_notes, "resolution", &T::resolution,
               "author", &T::author, "language", &T::language, "labels", &T::labels);
};

#endif

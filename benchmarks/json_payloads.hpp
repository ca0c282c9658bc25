#ifndef WEBHOOK_BENCHMARKS_JSON_PAYLOADS_HPP
#define WEBHOOK_BENCHMARKS_JSON_PAYLOADS_HPP

// The three payloads of the serializer benchmark, described once for every competitor:
// Boost.Describe for webhook::json and Boost.JSON's value_from, the nlohmann macro for
// nlohmann::json, and hand-written RapidJSON writer functions.

#include <boost/describe/class.hpp>
#include <nlohmann/json.hpp>
#include <rapidjson/writer.h>

#include <cstdint>
#include <string>
#include <vector>

namespace bench {

// (1) The incident event: ten members, about 300 bytes once wrapped under root/result.
struct incident_event {
    std::string sys_id;
    std::string number;
    std::string short_description; // holds a quoted word, so every writer escapes
    std::string state;
    int priority = 0;
    int impact = 0;
    std::int64_t opened_at = 0;
    double business_impact = 0.0;
    std::string assignment_group;
    std::vector<std::string> tags;
};
BOOST_DESCRIBE_STRUCT(incident_event, (),
                      (sys_id, number, short_description, state, priority, impact, opened_at,
                       business_impact, assignment_group, tags))
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(incident_event, sys_id, number, short_description, state,
                                   priority, impact, opened_at, business_impact, assignment_group,
                                   tags)

// (2) The change request: about 50 members in all, nested objects and an array of objects.
struct person {
    std::string sys_id;
    std::string name;
    std::string email;
    std::int64_t employee_number = 0;
};
BOOST_DESCRIBE_STRUCT(person, (), (sys_id, name, email, employee_number))
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(person, sys_id, name, email, employee_number)

struct configuration_item {
    std::string sys_id;
    std::string name;
    std::string ci_class;
    std::string environment;
    int criticality = 0;
    bool operational = false;
};
BOOST_DESCRIBE_STRUCT(configuration_item, (),
                      (sys_id, name, ci_class, environment, criticality, operational))
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(configuration_item, sys_id, name, ci_class, environment,
                                   criticality, operational)

struct change_request {
    std::string sys_id;
    std::string number;
    std::string short_description;
    std::string state;
    std::string risk;
    int priority = 0;
    std::int64_t start_at = 0;
    std::int64_t end_at = 0;
    double risk_score = 0.0;
    bool emergency = false;
    person caller;
    person assignee;
    std::vector<configuration_item> affected_items;
};
BOOST_DESCRIBE_STRUCT(change_request, (),
                      (sys_id, number, short_description, state, risk, priority, start_at, end_at,
                       risk_score, emergency, caller, assignee, affected_items))
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(change_request, sys_id, number, short_description, state, risk,
                                   priority, start_at, end_at, risk_score, emergency, caller,
                                   assignee, affected_items)

// (3) The text payload: a knowledge note whose long descriptions are most of its bytes, with
// some escapes (quotes, newlines, tabs, backslashes) and some non-ASCII text (2- to 4-byte
// UTF-8), about 2.5 KB: the case where string scanning and UTF-8 validation dominate.
struct knowledge_note {
    std::string sys_id;
    std::string number;
    std::string title;
    std::string description;
    std::string work_notes;
    std::string resolution;
    std::string author;
    std::string language;
    std::vector<std::string> labels;
};
BOOST_DESCRIBE_STRUCT(knowledge_note, (),
                      (sys_id, number, title, description, work_notes, resolution, author, language,
                       labels))
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(knowledge_note, sys_id, number, title, description, work_notes,
                                   resolution, author, language, labels)

// The values. Doubles are exact in binary so every writer's shortest form parses back equal.
inline incident_event make_incident_event() {
    return {
        .sys_id = "9d385017c611228701d22104cc95c371",
        .number = "INC0010023",
        .short_description = "Disk \"data\" at 95% on db-07.prod",
        .state = "in_progress",
        .priority = 2,
        .impact = 1,
        .opened_at = 1700000000123,
        .business_impact = 7.25,
        .assignment_group = "Database Operations",
        .tags = {"database", "storage", "capacity"},
    };
}

inline configuration_item make_item(int i) {
    const std::string n = std::to_string(i);
    return {
        .sys_id = "b4fd7c8437201000deeabfc8bcbe5d" + std::string(2 - n.size(), '0') + n,
        .name = "app-server-" + n + ".prod.example.com",
        .ci_class = "cmdb_ci_linux_server",
        .environment = i % 2 ? "production" : "disaster_recovery",
        .criticality = 1 + i % 3,
        .operational = i != 3,
    };
}

inline change_request make_change_request() {
    change_request c{
        .sys_id = "c286d61347c12200e0ef563dbb9a7156",
        .number = "CHG0030042",
        .short_description = "Patch the \"app\" cluster kernel to 6.1.0-18",
        .state = "scheduled",
        .risk = "moderate",
        .priority = 3,
        .start_at = 1700100000000,
        .end_at = 1700107200000,
        .risk_score = 42.5,
        .emergency = false,
        .caller = {.sys_id = "62826bf03710200044e0bfc8bcbe5df1",
                   .name = "Abel Tuter",
                   .email = "abel.tuter@example.com",
                   .employee_number = 100234},
        .assignee = {.sys_id = "46d44a23a9fe19810012d100cca80666",
                     .name = "Beth Anglin",
                     .email = "beth.anglin@example.com",
                     .employee_number = 100871},
        .affected_items = {},
    };
    for (int i = 1; i <= 5; ++i)
        c.affected_items.push_back(make_item(i));
    return c;
}

inline knowledge_note make_knowledge_note() {
    return {
        .sys_id = "f1e2d3c4b5a6978812345678abcdef01",
        .number = "KB0012345",
        .title = "Résumé: restarting the \"payments\" workers after a failover (Zürich → Tōkyō)",
        .description =
            "When the primary database of the payments cluster fails over, the workers keep "
            "their connection pools open against the old primary and every transaction they "
            "start fails with \"read-only transaction\". The symptom in the dashboards is a "
            "sudden drop of the success rate to 0% while the queue depth keeps growing; the "
            "on-call engineer is paged by the alert named payments_success_rate_low.\n\n"
            "Les travailleurs ne se reconnectent pas d'eux-mêmes : il faut les redémarrer un "
            "par un, en vérifiant que la file d'attente se vide après chaque redémarrage. "
            "Die Arbeiter müssen nacheinander neu gestartet werden; größere Gruppen führen zu "
            "einer Überlastung der Datenbank.\n\tSee also: KB0011872 and the runbook at "
            "C:\\ops\\runbooks\\payments\\failover.md on the jump host.",
        .work_notes =
            "2026-11-28 21:45 UTC — failover observed on db-payments-01; workers 1 to 12 still "
            "pointing at the old primary. 2026-11-28 21:52 UTC — restarted workers 1 to 4, "
            "queue depth falling (12,400 → 9,100). 2026-11-28 22:03 UTC — restarted workers 5 "
            "to 12; queue drained by 22:10. 東京チームに連絡済み：同様の障害が二週間前にも発生。"
            " Customer impact: about 3,200 delayed payments, none lost; finance was told at "
            "22:15 and confirmed the reconciliation job would pick them up. 🙂 Follow-up: make "
            "the pool re-resolve the primary on \"read-only\" errors instead of retrying.",
        .resolution =
            "Restart the workers one at a time with `systemctl restart payments-worker@N`, "
            "waiting for the queue depth to fall before the next one. Do not restart them all "
            "at once: the connection storm exhausts max_connections on the new primary and "
            "turns a degraded service into an outage. Once every worker is back, check that "
            "the success rate is above 99.5% for ten minutes, then close the incident with "
            "the failover timestamp in the \"cause\" field.",
        .author = "Zoë Ødegård-Nakamura",
        .language = "en",
        .labels = {"payments", "database", "failover", "runbook", "café-hours"},
    };
}

// Hand-written RapidJSON: keys are literals with their lengths known to the compiler, which
// is the best a general-purpose writer can be given.
template <class Writer, std::size_t N>
void rj_key(Writer& w, const char (&key)[N]) {
    w.Key(key, static_cast<rapidjson::SizeType>(N - 1));
}

template <class Writer>
void rj_string(Writer& w, const std::string& s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

template <class Writer>
void rj_write(Writer& w, const incident_event& e) {
    w.StartObject();
    rj_key(w, "sys_id");
    rj_string(w, e.sys_id);
    rj_key(w, "number");
    rj_string(w, e.number);
    rj_key(w, "short_description");
    rj_string(w, e.short_description);
    rj_key(w, "state");
    rj_string(w, e.state);
    rj_key(w, "priority");
    w.Int(e.priority);
    rj_key(w, "impact");
    w.Int(e.impact);
    rj_key(w, "opened_at");
    w.Int64(e.opened_at);
    rj_key(w, "business_impact");
    w.Double(e.business_impact);
    rj_key(w, "assignment_group");
    rj_string(w, e.assignment_group);
    rj_key(w, "tags");
    w.StartArray();
    for (const std::string& t : e.tags)
        rj_string(w, t);
    w.EndArray();
    w.EndObject();
}

template <class Writer>
void rj_write(Writer& w, const person& p) {
    w.StartObject();
    rj_key(w, "sys_id");
    rj_string(w, p.sys_id);
    rj_key(w, "name");
    rj_string(w, p.name);
    rj_key(w, "email");
    rj_string(w, p.email);
    rj_key(w, "employee_number");
    w.Int64(p.employee_number);
    w.EndObject();
}

template <class Writer>
void rj_write(Writer& w, const configuration_item& ci) {
    w.StartObject();
    rj_key(w, "sys_id");
    rj_string(w, ci.sys_id);
    rj_key(w, "name");
    rj_string(w, ci.name);
    rj_key(w, "ci_class");
    rj_string(w, ci.ci_class);
    rj_key(w, "environment");
    rj_string(w, ci.environment);
    rj_key(w, "criticality");
    w.Int(ci.criticality);
    rj_key(w, "operational");
    w.Bool(ci.operational);
    w.EndObject();
}

template <class Writer>
void rj_write(Writer& w, const change_request& c) {
    w.StartObject();
    rj_key(w, "sys_id");
    rj_string(w, c.sys_id);
    rj_key(w, "number");
    rj_string(w, c.number);
    rj_key(w, "short_description");
    rj_string(w, c.short_description);
    rj_key(w, "state");
    rj_string(w, c.state);
    rj_key(w, "risk");
    rj_string(w, c.risk);
    rj_key(w, "priority");
    w.Int(c.priority);
    rj_key(w, "start_at");
    w.Int64(c.start_at);
    rj_key(w, "end_at");
    w.Int64(c.end_at);
    rj_key(w, "risk_score");
    w.Double(c.risk_score);
    rj_key(w, "emergency");
    w.Bool(c.emergency);
    rj_key(w, "caller");
    rj_write(w, c.caller);
    rj_key(w, "assignee");
    rj_write(w, c.assignee);
    rj_key(w, "affected_items");
    w.StartArray();
    for (const configuration_item& ci : c.affected_items)
        rj_write(w, ci);
    w.EndArray();
    w.EndObject();
}

template <class Writer>
void rj_write(Writer& w, const knowledge_note& k) {
    w.StartObject();
    rj_key(w, "sys_id");
    rj_string(w, k.sys_id);
    rj_key(w, "number");
    rj_string(w, k.number);
    rj_key(w, "title");
    rj_string(w, k.title);
    rj_key(w, "description");
    rj_string(w, k.description);
    rj_key(w, "work_notes");
    rj_string(w, k.work_notes);
    rj_key(w, "resolution");
    rj_string(w, k.resolution);
    rj_key(w, "author");
    rj_string(w, k.author);
    rj_key(w, "language");
    rj_string(w, k.language);
    rj_key(w, "labels");
    w.StartArray();
    for (const std::string& l : k.labels)
        rj_string(w, l);
    w.EndArray();
    w.EndObject();
}

} // namespace bench

#endif

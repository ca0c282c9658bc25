// Serializer benchmark: webhook::json against Boost.JSON, nlohmann::json, a hand-written
// RapidJSON writer and (when CMake is given WEBHOOK_BENCH_GLAZE_INCLUDE) glaze, on the same
// struct instances wrapped under the data location root/result, with a memcpy of the same
// output as the physical ceiling. Reports time per message, output bytes per second and heap
// allocations per message.
// benchmarks/run_json.sh builds this, runs it and prints the summary table.

#include <webhook/json/serialize.hpp>

#include "json_count_allocations.hpp"
#include "json_payloads.hpp"

#ifdef WEBHOOK_BENCH_GLAZE
#include "json_glaze.hpp"
#endif

#include <benchmark/benchmark.h>
#include <boost/json.hpp>
#include <nlohmann/json.hpp>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

namespace bench {
namespace {

// Each competitor owns whatever it reuses between messages and returns a view of the JSON it
// just wrote; the view stays valid until the next call.

/// (a) webhook::json::write into a reused string, runtime data location.
struct ours_write_path {
    webhook::data_path path{"root/result"};
    std::string out;
    boost::system::error_code ec;

    template <class T>
    std::string_view operator()(const T& value) {
        out.clear();
        webhook::json::write(out, value, path, ec);
        return out;
    }
};

/// (b) The same with the compile-time data location.
struct ours_write_literal {
    std::string out;
    boost::system::error_code ec;

    template <class T>
    std::string_view operator()(const T& value) {
        out.clear();
        webhook::json::write<"root/result">(out, value, ec);
        return out;
    }
};

/// (b2) (a) with `utf8_policy::assume_valid`: input trusted to be UTF-8, not validated.
struct ours_assume_valid {
    webhook::data_path path{"root/result"};
    webhook::json::write_options options{.invalid_utf8 = webhook::json::utf8_policy::assume_valid};
    std::string out;
    boost::system::error_code ec;

    template <class T>
    std::string_view operator()(const T& value) {
        out.clear();
        webhook::json::write(out, value, path, options, ec);
        return out;
    }
};

/// (c) webhook::json::to_string: a new string per message.
struct ours_to_string {
    webhook::data_path path{"root/result"};
    std::string out;

    template <class T>
    std::string_view operator()(const T& value) {
        out = webhook::json::to_string(value, path);
        return out;
    }
};

/// (d) Boost.JSON: value_from (the structs are described) into a DOM, then serialize.
struct boost_value_from {
    std::string out;

    template <class T>
    std::string_view operator()(const T& value) {
        boost::json::object result;
        result.emplace("result", boost::json::value_from(value));
        boost::json::object root;
        root.emplace("root", std::move(result));
        out = boost::json::serialize(root);
        return out;
    }
};

/// (e) nlohmann::json: to_json from NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE, then dump().
/// nlohmann::json keeps object members sorted by key, so its bytes differ from the others in
/// member order only; the startup check compares parsed values, which ignore order.
struct nlohmann_dump {
    std::string out;

    template <class T>
    std::string_view operator()(const T& value) {
        nlohmann::json j;
        j["root"]["result"] = value;
        out = j.dump();
        return out;
    }
};

/// (f) Hand-written RapidJSON Writer over one reused StringBuffer and one reused Writer
/// (a Writer allocates its nesting stack, so a new one per message would not be a best case).
struct rapidjson_writer {
    using buffer = rapidjson::GenericStringBuffer<rapidjson::UTF8<>, counting_crt_allocator>;
    using writer =
        rapidjson::Writer<buffer, rapidjson::UTF8<>, rapidjson::UTF8<>, counting_crt_allocator>;
    buffer sb;
    writer w{sb};

    template <class T>
    std::string_view operator()(const T& value) {
        sb.Clear();
        w.Reset(sb);
        w.StartObject();
        rj_key(w, "root");
        w.StartObject();
        rj_key(w, "result");
        rj_write(w, value);
        w.EndObject();
        w.EndObject();
        return {sb.GetString(), sb.GetSize()};
    }
};

/// (z) The ceiling: a memcpy of ours's output into a reused buffer of its size, bytes that any
/// serializer must at least store.
struct memcpy_ceiling {
    std::string source;
    std::string out;

    template <class T>
    std::string_view operator()(const T& value) {
        if (source.empty()) { // the first message, before timing: the bytes to copy
            ours_write_path a;
            source = a(value);
            out.resize(source.size());
        }
        std::memcpy(out.data(), source.data(), source.size());
        return out;
    }
};

const incident_event the_incident = make_incident_event();
const change_request the_change = make_change_request();
const knowledge_note the_text = make_knowledge_note();

template <class Competitor, class T>
void run(benchmark::State& state, const T& value) {
    Competitor serialize;
    // One message first: reused buffers reach their steady capacity, as in a long-lived sender.
    const std::size_t bytes = serialize(value).size();
    const std::uint64_t before = allocations();
    for (auto _ : state) {
        const std::string_view json = serialize(value);
        benchmark::DoNotOptimize(json.data());
        benchmark::DoNotOptimize(json.size());
        benchmark::ClobberMemory();
    }
    const std::uint64_t after = allocations();
    const auto iterations = static_cast<double>(state.iterations());
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(bytes));
    state.counters["allocs"] = static_cast<double>(after - before) / iterations;
    state.counters["bytes"] = static_cast<double>(bytes);
}

template <class Competitor>
void register_for_all(const char* competitor) {
    const std::string name(competitor);
    benchmark::RegisterBenchmark(("incident/" + name).c_str(), [](benchmark::State& state) {
        run<Competitor>(state, the_incident);
    });
    benchmark::RegisterBenchmark(("change/" + name).c_str(), [](benchmark::State& state) {
        run<Competitor>(state, the_change);
    });
    benchmark::RegisterBenchmark(("text/" + name).c_str(),
                                 [](benchmark::State& state) { run<Competitor>(state, the_text); });
}

/// Every competitor must write the same document as ours (a), or the comparison means nothing.
template <class T>
bool check_same_document(const char* payload, const T& value) {
    ours_write_path a;
    const std::string reference(a(value));
    if (a.ec) {
        std::fprintf(stderr, "json_benchmark: %s: webhook::json::write failed: %s\n", payload,
                     a.ec.message().c_str());
        return false;
    }
    boost::system::error_code ec;
    const boost::json::value expected = boost::json::parse(reference, ec);
    if (ec) {
        std::fprintf(stderr, "json_benchmark: %s: ours does not parse: %s\n%s\n", payload,
                     ec.message().c_str(), reference.c_str());
        return false;
    }
    bool ok = true;
    const auto compare = [&](const char* name, std::string_view json) {
        boost::system::error_code parse_ec;
        const boost::json::value got = boost::json::parse(json, parse_ec);
        if (parse_ec || got != expected) {
            std::fprintf(stderr,
                         "json_benchmark: %s: %s writes a different document%s%s\n"
                         "  ours: %s\n  it:   %.*s\n",
                         payload, name, parse_ec ? ": " : "",
                         parse_ec ? parse_ec.message().c_str() : "", reference.c_str(),
                         static_cast<int>(json.size()), json.data());
            ok = false;
        }
    };
    // The three forms of ours must agree byte for byte, not only in value.
    const auto compare_bytes = [&](const char* name, std::string_view json) {
        if (json != reference) {
            std::fprintf(stderr, "json_benchmark: %s: %s differs from (a) byte for byte\n", payload,
                         name);
            ok = false;
        }
    };
    ours_write_literal b;
    compare_bytes("ours_write_literal", b(value));
    ours_assume_valid b2;
    compare_bytes("ours_assume_valid", b2(value));
    ours_to_string c;
    compare_bytes("ours_to_string", c(value));
    boost_value_from d;
    compare("boost_value_from", d(value));
    nlohmann_dump e;
    compare("nlohmann_dump", e(value));
    rapidjson_writer f;
    compare("rapidjson_writer", f(value));
#ifdef WEBHOOK_BENCH_GLAZE
    glaze_write g;
    compare("glaze_write", g(value));
#endif
    memcpy_ceiling z;
    compare_bytes("memcpy_ceiling", z(value));
    if (ok)
        std::fprintf(stderr,
                     "json_benchmark: %s: all competitors write the same document "
                     "(%zu bytes from ours)\n",
                     payload, reference.size());
    return ok;
}

} // namespace
} // namespace bench

int main(int argc, char** argv) {
    // --check-only: the start-up check alone, for ctest, so the benchmark cannot rot unseen.
    bool check_only = false;
    if (argc > 1 && std::string_view(argv[argc - 1]) == "--check-only") {
        check_only = true;
        --argc;
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    const bool same = bench::check_same_document("incident", bench::the_incident) &
                      bench::check_same_document("change", bench::the_change) &
                      bench::check_same_document("text", bench::the_text);
    if (!same)
        return 1;
    if (check_only)
        return 0;
    // Names sort in the order of the brief: (a) to (g), then the ceiling (z).
    bench::register_for_all<bench::ours_write_path>("a_ours_write_path");
    bench::register_for_all<bench::ours_write_literal>("b_ours_write_literal");
    bench::register_for_all<bench::ours_assume_valid>("b2_ours_assume_valid");
    bench::register_for_all<bench::ours_to_string>("c_ours_to_string");
    bench::register_for_all<bench::boost_value_from>("d_boost_value_from_serialize");
    bench::register_for_all<bench::nlohmann_dump>("e_nlohmann_dump");
    bench::register_for_all<bench::rapidjson_writer>("f_rapidjson_writer");
#ifdef WEBHOOK_BENCH_GLAZE
    bench::register_for_all<bench::glaze_write>("g_glaze_write");
#endif
    bench::register_for_all<bench::memcpy_ceiling>("z_memcpy_ceiling");
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

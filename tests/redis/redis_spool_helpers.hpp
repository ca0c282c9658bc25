#ifndef WEBHOOK_TESTS_REDIS_REDIS_SPOOL_HELPERS_HPP
#define WEBHOOK_TESTS_REDIS_REDIS_SPOOL_HELPERS_HPP

// What the tests of the Redis spool share (redis/redis_spool_*test.cpp): options for a test
// server, records whose fields depend on a number, reading everything, waiting (bounded).

#include <webhook/spool/redis_spool.hpp>

#include "redis/redis_server.hpp"
#include "support/spool_records.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace webhook::test {

inline redis_spool_options options_for(const redis_server& s, std::string consumer,
                                       std::string stream = "webhook:{test}") {
    redis_spool_options o;
    o.port = s.port();
    o.stream = std::move(stream);
    o.consumer = std::move(consumer);
    o.reconnect_delay = std::chrono::milliseconds(10);
    o.max_reconnect_delay = std::chrono::milliseconds(100);
    return o;
}

inline std::shared_ptr<redis_spool> open_or_fail(const redis_spool_options& o) {
    std::string why;
    auto s = redis_spool::open(o, &why);
    BOOST_REQUIRE_MESSAGE(s, "open: " << (s ? "" : s.error().message()) << " " << why);
    return *s;
}

inline std::vector<spool_record> read_all(redis_spool& s, std::size_t max = 100) {
    std::vector<spool_record> out, all;
    for (int i = 0; i < 1000; ++i) {
        BOOST_REQUIRE(!s.read(0, max, out));
        if (out.empty())
            break;
        all.insert(all.end(), out.begin(), out.end());
    }
    return all;
}

/// The field names of the stream's entries, in stream order.
inline std::vector<std::vector<std::string>> field_names(redis_client& cli,
                                                         const std::string& stream) {
    std::vector<std::vector<std::string>> entries;
    const auto r = cli.run({"XRANGE", stream, "-", "+"});
    for (std::size_t i = 0; i < r->elements; ++i) {
        const redisReply* fields = r->element[i]->element[1];
        entries.emplace_back();
        for (std::size_t f = 0; f < fields->elements; f += 2)
            entries.back().emplace_back(fields->element[f]->str, fields->element[f]->len);
    }
    return entries;
}

} // namespace webhook::test

#endif

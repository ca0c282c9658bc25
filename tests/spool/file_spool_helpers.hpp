#ifndef WEBHOOK_TESTS_SPOOL_FILE_SPOOL_HELPERS_HPP
#define WEBHOOK_TESTS_SPOOL_FILE_SPOOL_HELPERS_HPP

// What the tests of file_spool share (spool/file_spool_*test.cpp): a directory of their own,
// records whose fields depend on a number, and the spool's files read and written as bytes.

#include <webhook/spool/file_spool.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

namespace webhook::test {

namespace fs = std::filesystem;

/// A fresh directory, removed with everything in it at the end.
struct temp_dir {
    fs::path path;
    temp_dir() {
        static std::atomic<int> counter{0};
        std::random_device rd;
        path = fs::temp_directory_path() / ("webhook-spool-" + std::to_string(::getpid()) + "-" +
                                            std::to_string(counter++) + "-" + std::to_string(rd()));
        fs::create_directories(path);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

/// A record whose fields all depend on `n`; `created` is whole milliseconds, as stored.
inline spool_record make_record(std::uint64_t n, std::size_t payload_size = 0) {
    using namespace std::chrono_literals;
    spool_record r;
    r.created = std::chrono::system_clock::time_point(
        1'700'000'000'000ms + std::chrono::milliseconds(static_cast<std::int64_t>(n)));
    r.id = webhook::event_id(r.created, n, n * 7919);
    r.endpoint = "https://example.com/hooks/{tenant}";
    r.target = "/hooks/t" + std::to_string(n);
    r.payload = "{\"n\":" + std::to_string(n) + "}";
    if (payload_size > r.payload.size())
        r.payload.append(payload_size - r.payload.size(), static_cast<char>('a' + n % 26));
    // Per-event headers on most records, none on every fifth: both cases of the field.
    if (n % 5 != 0)
        r.headers =
            "x-event-type: incident.updated\r\nx-tenant: t" + std::to_string(n % 10) + "\r\n";
    r.last_status = static_cast<int>(n % 3 == 0 ? 503 : 0);
    r.last_error = n % 3 == 0 ? "service unavailable" : "";
    return r;
}

/// `make_record(seq)` as `read` returns it.
inline spool_record stored_record(std::uint64_t seq) {
    auto r = make_record(seq);
    r.sequence = seq;
    return r;
}

inline std::shared_ptr<file_spool> open_spool(const fs::path& dir, file_spool_options o = {}) {
    auto r = file_spool::open(dir, o);
    BOOST_TEST_REQUIRE(r.has_value(), "open failed: " << r.error().message());
    return *r;
}

inline file_spool_options fast() {
    file_spool_options o;
    o.durability = durability::no_fsync;
    return o;
}

inline std::uint64_t append_ok(file_spool& s, const spool_record& r) {
    auto seq = s.append(r);
    BOOST_TEST_REQUIRE(seq.has_value(), "append failed: " << seq.error().message());
    return *seq;
}

inline std::vector<spool_record> read_all(file_spool& s) {
    std::vector<spool_record> out;
    BOOST_TEST_REQUIRE(!s.read(0, 1'000'000, out));
    return out;
}

inline std::vector<std::uint64_t> sequences(const std::vector<spool_record>& v) {
    std::vector<std::uint64_t> seqs;
    for (const auto& r : v)
        seqs.push_back(r.sequence);
    return seqs;
}

/// The directory's files ending in `ext`, sorted.
inline std::vector<fs::path> files(const fs::path& dir, const std::string& ext) {
    std::vector<fs::path> v;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().filename().string().ends_with(ext))
            v.push_back(e.path());
    std::sort(v.begin(), v.end());
    return v;
}

inline std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

inline void write_file(const fs::path& p, const std::string& bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

} // namespace webhook::test

template <>
struct boost::test_tools::tt_detail::print_log_value<webhook::spool_record> {
    void operator()(std::ostream& os, const webhook::spool_record& r) {
        os << "{seq " << r.sequence << ", id " << r.id << ", payload " << r.payload.size()
           << " bytes, headers " << r.headers.size() << " bytes}";
    }
};

#endif

// Endpoint configuration documents: webhook::load_endpoint. Any input either throws
// config_error with at least one problem, or gives an endpoint that everything downstream
// accepts as the dispatcher would use it: validate() finds nothing, the URL template parses,
// the request headers and a request build without throwing, the description prints, and the
// retry delays are never negative.
//
// Secrets may come from files (`password_file`): while a document is loaded, std::fopen is
// confined to a fixture directory made at start-up (a name without '/' is looked up there;
// anything else is "not found"), so that no input can read /dev/zero or a real file.
#include <webhook/endpoint.hpp>

#include <webhook/config/detail/url_template.hpp>
#include <webhook/transport/request.hpp>

#include "fuzz_check.hpp"

#include <boost/beast/http/verb.hpp>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include <dlfcn.h>
#include <unistd.h>

namespace {

bool confine_files = false;
std::filesystem::path fixtures;

void write_file(const std::filesystem::path& p, std::string_view content) {
    std::ofstream(p, std::ios::binary) << content;
}

} // namespace

// Replaces the C library's fopen (and the sanitizer's weak interceptor) in this executable.
extern "C" FILE* fopen(const char* path, const char* mode) {
    using fopen_fn = FILE* (*)(const char*, const char*);
    static const auto real = reinterpret_cast<fopen_fn>(::dlsym(RTLD_NEXT, "fopen"));
    if (!confine_files)
        return real(path, mode);
    const std::string_view name(path);
    if (name.empty() || name.find('/') != std::string_view::npos || name == "..") {
        errno = ENOENT;
        return nullptr;
    }
    return real((fixtures / std::string(name)).c_str(), mode);
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    fixtures = std::filesystem::temp_directory_path() /
               ("webhook-fuzz-endpoint-" + std::to_string(::getpid()));
    std::filesystem::create_directories(fixtures / "directory");
    write_file(fixtures / "password.txt", "s3cret\n");
    write_file(fixtures / "token.txt", "abc.def\r\n");
    write_file(fixtures / "empty.txt", "");
    write_file(fixtures / "control.txt", std::string("a\0b\x7f", 4));
    ::setenv("WEBHOOK_FUZZ_SECRET", "s3cret", 1);
    ::setenv("WEBHOOK_FUZZ_CONTROL", "a\r\nb", 1);
    ::setenv("WEBHOOK_FUZZ_EMPTY", "", 1);
    std::atexit([] {
        std::error_code ec;
        std::filesystem::remove_all(fixtures, ec);
    });
    return 0;
}

namespace {

webhook::endpoint load(std::string_view text, bool& ok) {
    confine_files = true;
    try {
        webhook::endpoint e = webhook::load_endpoint(text);
        confine_files = false;
        ok = true;
        return e;
    } catch (const webhook::config_error& error) {
        confine_files = false;
        FUZZ_CHECK(!error.problems().empty());
        FUZZ_CHECK(std::string_view(error.what()).size() > 0);
        ok = false;
        return {};
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    bool ok = false;
    const webhook::endpoint e = load(text, ok);
    if (!ok)
        return 0;

    FUZZ_CHECK(webhook::validate(e).empty());
    const auto url = webhook::detail::url_template::parse(e.url);
    FUZZ_CHECK(url);
    (void)webhook::transport_options(e);
    std::ostringstream description;
    description << e;
    FUZZ_CHECK(!description.str().empty());

    // The headers and a request, as the dispatcher builds them: validation promised they fit.
    webhook::request_headers headers;
    if (const auto* basic = std::get_if<webhook::basic_auth>(&e.authentication))
        headers.basic_auth(basic->username, basic->password.reveal());
    else if (const auto* bearer = std::get_if<webhook::bearer_auth>(&e.authentication))
        headers.bearer_auth(bearer->token.reveal());
    for (const auto& h : e.headers)
        headers.add(h.name, h.value.reveal());
    if (!e.user_agent.empty())
        headers.user_agent(e.user_agent);
    const auto request = webhook::make_request(e.method, url->url(), "{}", headers);
    FUZZ_CHECK(request.target() == url->url().target());

    // Retry delays: defined and never negative, whatever the policy's numbers.
    const std::size_t attempts = std::min<std::size_t>(e.retry.max_attempts, 70);
    for (std::size_t n = 1; n <= attempts; ++n)
        for (const double r : {0.0, 0.5, 0.999999}) {
            const auto d = webhook::next_retry_delay(e.retry, n, std::chrono::milliseconds{0},
                                                     std::nullopt, r);
            FUZZ_CHECK(!d || d->count() >= 0);
            const auto with_header = webhook::next_retry_delay(
                e.retry, n, std::chrono::milliseconds{1000}, std::chrono::milliseconds{120'000}, r);
            FUZZ_CHECK(!with_header || with_header->count() >= 0);
        }
    return 0;
}

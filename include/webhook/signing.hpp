#ifndef WEBHOOK_SIGNING_HPP
#define WEBHOOK_SIGNING_HPP

// Payload signing and verification, at its short path; the header is <webhook/signing/signing.hpp>.
#include <webhook/signing/signing.hpp>

#endif

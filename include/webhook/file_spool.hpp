#ifndef WEBHOOK_FILE_SPOOL_HPP
#define WEBHOOK_FILE_SPOOL_HPP

// Moved: the file spool now lives in <webhook/spool/file_spool.hpp>.
#include <webhook/spool/file_spool.hpp>

#endif

#ifndef WEBHOOK_DATA_PATH_HPP
#define WEBHOOK_DATA_PATH_HPP

// The data location, at its short path; the header is <webhook/json/data_path.hpp>.
#include <webhook/json/data_path.hpp>

#endif

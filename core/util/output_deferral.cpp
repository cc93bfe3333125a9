#include "util/output_deferral.hpp"

namespace toolgate {

namespace {
thread_local bool (*t_still)() = nullptr;
}

OutputDeferral::OutputDeferral(bool (*still)()) : was_(t_still) { t_still = still; }
OutputDeferral::~OutputDeferral() { t_still = was_; }

bool OutputDeferral::active() { return t_still && t_still(); }

}  // namespace toolgate

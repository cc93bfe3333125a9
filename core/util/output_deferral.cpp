#include "util/output_deferral.hpp"

namespace toolgate {

namespace {
thread_local bool (*t_still)() = nullptr;
thread_local bool t_may_wait = false;
}

OutputDeferral::OutputDeferral(bool (*still)()) : was_(t_still) { t_still = still; }
OutputDeferral::~OutputDeferral() { t_still = was_; }

bool OutputDeferral::active() { return t_still && t_still(); }

OutputBackPressure::OutputBackPressure() : was_(t_may_wait) { t_may_wait = true; }
OutputBackPressure::~OutputBackPressure() { t_may_wait = was_; }

bool OutputBackPressure::active() { return t_may_wait || OutputDeferral::active(); }

}  // namespace toolgate

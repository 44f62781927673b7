#include "fs_test_hooks.h"

#include <atomic>
#include <utility>

namespace cask::fs_internal {
namespace {

std::atomic<bool> hook_installed{false};

TestFaultHook& Hook() {
  static TestFaultHook* hook = new TestFaultHook();
  return *hook;
}

}  // namespace

void TEST_SetFaultHook(TestFaultHook hook) {
  hook_installed.store(false, std::memory_order_release);
  Hook() = std::move(hook);
  hook_installed.store(static_cast<bool>(Hook()), std::memory_order_release);
}

int TEST_Fault(std::string_view point) {
  if (!hook_installed.load(std::memory_order_acquire)) return 0;
  return Hook()(point);
}

}  // namespace cask::fs_internal

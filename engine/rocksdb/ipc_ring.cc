#include "ipc_ring.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>

#include "absl/strings/str_cat.h"

namespace cask::engine::ipc {
namespace {

constexpr std::size_t kSlotStride = sizeof(SlotHead) + kRingSlotBytes;

absl::Status Unavailable(const char* what) {
  return absl::UnavailableError(
      absl::StrCat("cask ipc: ring: ", what, ": ", std::strerror(errno)));
}

}  // namespace

bool IsRingType(Type type) {
  switch (type) {
    case Type::kGet:
    case Type::kGetMeta:
    case Type::kHas:
    case Type::kSet:
    case Type::kRemove:
    case Type::kCommit:
    case Type::kChanges:
    case Type::kRevision:
    case Type::kSnapshotGet:
    case Type::kGetAt:
      return true;
    default:
      return false;
  }
}

absl::Status CheckRingRequest(const SlotFields& f) {
  if (f.type > 0xff || !IsRingType(static_cast<Type>(f.type))) {
    return absl::InvalidArgumentError(
        absl::StrCat("cask ipc: request type ", f.type, " is not for a ring"));
  }
  if (f.length > kRingSlotBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("cask ipc: a ring request of ", f.length,
                     " bytes, over the slot's ", kRingSlotBytes));
  }
  return absl::OkStatus();
}

absl::Status CheckRingAnswer(const SlotFields& f) {
  bool known = f.type == kRingTooBig ||
               f.type == static_cast<std::uint32_t>(Type::kResponse) ||
               f.type == static_cast<std::uint32_t>(Type::kError);
  if (!known || f.length > kRingSlotBytes ||
      (f.type == kRingTooBig && f.length != 0)) {
    return absl::InternalError(
        absl::StrCat("cask ipc: malformed ring answer (type ", f.type, ", ",
                     f.length, " bytes)"));
  }
  return absl::OkStatus();
}

namespace {

absl::Status ReadSlot(const Ring& ring, std::uint32_t slot, SlotFields* fields,
                      std::string* payload, bool request) {
  SlotHead& s = ring.slot(slot);
  fields->type = s.type.load(std::memory_order_relaxed);
  fields->length = s.length.load(std::memory_order_relaxed);
  absl::Status ok =
      request ? CheckRingRequest(*fields) : CheckRingAnswer(*fields);
  if (!ok.ok()) {
    payload->clear();
    return ok;
  }
  payload->assign(ring.data(slot), fields->length);
  return absl::OkStatus();
}

}  // namespace

absl::Status ReadRingRequest(const Ring& ring, std::uint32_t slot,
                             SlotFields* fields, std::string* payload) {
  return ReadSlot(ring, slot, fields, payload, /*request=*/true);
}

absl::Status ReadRingAnswer(const Ring& ring, std::uint32_t slot,
                            SlotFields* fields, std::string* payload) {
  return ReadSlot(ring, slot, fields, payload, /*request=*/false);
}

absl::StatusOr<std::unique_ptr<Ring>> Ring::Create(int* fd) {
  int m = memfd_create("cask-ring", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (m < 0) return Unavailable("memfd_create");
  if (ftruncate(m, static_cast<off_t>(kBytes)) != 0 ||
      fcntl(m, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    absl::Status s = Unavailable("sizing");
    close(m);
    return s;
  }
  void* base = mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_SHARED, m, 0);
  if (base == MAP_FAILED) {
    absl::Status s = Unavailable("mmap");
    close(m);
    return s;
  }
  // The memfd starts zeroed: every slot is kSlotFree. Construct the atomics
  // in place, then publish the head.
  auto* head = new (base) RingHead();
  for (std::uint32_t i = 0; i < kRingSlots; ++i) {
    new (static_cast<char*>(base) + sizeof(RingHead) + i * kSlotStride)
        SlotHead();
  }
  head->slots.store(kRingSlots);
  head->slot_bytes.store(kRingSlotBytes);
  head->magic.store(kRingMagic);
  *fd = m;
  return std::unique_ptr<Ring>(new Ring(base));
}

absl::StatusOr<std::unique_ptr<Ring>> Ring::Map(int fd) {
  struct stat st {};
  int seals = fcntl(fd, F_GET_SEALS);
  if (fstat(fd, &st) != 0 || seals < 0 || !(seals & F_SEAL_SHRINK) ||
      static_cast<std::size_t>(st.st_size) != kBytes) {
    return absl::FailedPreconditionError(
        "cask ipc: the owner's ring is not a sealed ring of the expected "
        "size");
  }
  void* base = mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) return Unavailable("mmap");
  std::unique_ptr<Ring> ring(new Ring(base));
  RingHead& h = ring->head();
  if (h.magic.load() != kRingMagic || h.slots.load() != kRingSlots ||
      h.slot_bytes.load() != kRingSlotBytes) {
    return absl::FailedPreconditionError(
        "cask ipc: the owner's ring has another layout");
  }
  return ring;
}

Ring::~Ring() { munmap(base_, kBytes); }

SlotHead& Ring::slot(std::uint32_t i) const {
  return *reinterpret_cast<SlotHead*>(static_cast<char*>(base_) +
                                      sizeof(RingHead) + i * kSlotStride);
}

char* Ring::data(std::uint32_t i) const {
  return reinterpret_cast<char*>(&slot(i)) + sizeof(SlotHead);
}

void FutexWait(std::atomic<std::uint32_t>* word, std::uint32_t expected,
               absl::Duration timeout) {
  timespec ts = absl::ToTimespec(timeout);
  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
  (void)syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAIT,
                expected, &ts, nullptr, 0);
}

void FutexWake(std::atomic<std::uint32_t>* word, int waiters) {
  (void)syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAKE,
                waiters, nullptr, nullptr, 0);
}

}  // namespace cask::engine::ipc

// libFuzzer target: the many-process protocol's frame decoding
// (engine/rocksdb/ipc_wire.h). The first 16 bytes are a frame header (it
// must never pass CheckHeader with a bad field); the rest is a payload
// read by a script of Reader calls chosen by the header's type byte and
// the payload itself. Whatever a Reader accepts is written back with the
// Writer and must read back the same.
//
// The same bytes also fill a slot of a shared-memory ring
// (engine/rocksdb/ipc_ring.h) as a peer could: the first 8 bytes are the
// slot's type and length words, the rest its data. What the owner's
// ReadRingRequest and the client's ReadRingAnswer accept must fit the
// slot and be copied whole; a resent write (AsRetry) differs from the
// original in the first-try flag alone.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "ipc_ring.h"
#include "ipc_wire.h"

namespace ipc = cask::engine::ipc;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

// Reads one value of kind `op` from `r` and appends its re-encoding to `w`.
void ReadOne(int op, ipc::Reader& r, ipc::Writer& w) {
  switch (op % 9) {
    case 0:
      w.U8(r.U8());
      break;
    case 1:
      w.U32(r.U32());
      break;
    case 2:
      w.U64(r.U64());
      break;
    case 3:
      w.Str(r.Str());
      break;
    case 4:
      w.OptStr(r.OptStr());
      break;
    case 5:
      w.Pre(r.Pre());
      break;
    case 6:
      w.MetaOf(r.MetaOf());
      break;
    case 7:
      w.Result(r.Result());
      break;
    case 8:
      w.Event(r.Event());
      break;
  }
}

void FuzzRingSlot(std::string_view in) {
  static ipc::Ring* ring = [] {
    int fd = -1;
    auto r = ipc::Ring::Create(&fd);
    Check(r.ok());
    return r->release();  // the descriptor stays open with the mapping
  }();
  if (in.size() < 8) return;
  std::uint32_t words[2];
  std::memcpy(words, in.data(), 8);
  std::string_view data = in.substr(8);
  if (data.size() > ipc::kRingSlotBytes)
    data = data.substr(0, ipc::kRingSlotBytes);
  ipc::SlotHead& slot = ring->slot(0);
  slot.type.store(words[0]);
  slot.length.store(words[1]);
  std::memcpy(ring->data(0), data.data(), data.size());
  ipc::SlotFields f;
  std::string payload;
  if (ipc::ReadRingRequest(*ring, 0, &f, &payload).ok()) {
    Check(f.length <= ipc::kRingSlotBytes && payload.size() == f.length);
    Check(ipc::IsRingType(static_cast<ipc::Type>(f.type)));
    if (ipc::IsWriteRequest(static_cast<ipc::Type>(f.type))) {
      std::string again = ipc::AsRetry(payload);
      Check(again.size() == payload.size());
      for (std::size_t i = 0; i < again.size(); ++i) {
        if (i == ipc::kWriteFlagsOffset) {
          Check((again[i] | ipc::kWriteFirstTry) ==
                (payload[i] | ipc::kWriteFirstTry));
          Check((again[i] & ipc::kWriteFirstTry) == 0);
        } else {
          Check(again[i] == payload[i]);
        }
      }
    }
  } else {
    Check(payload.empty());
  }
  if (ipc::ReadRingAnswer(*ring, 0, &f, &payload).ok()) {
    Check(f.length <= ipc::kRingSlotBytes && payload.size() == f.length);
    Check(f.type == ipc::kRingTooBig ||
          f.type == static_cast<std::uint32_t>(ipc::Type::kResponse) ||
          f.type == static_cast<std::uint32_t>(ipc::Type::kError));
    ipc::Reader r(payload);
    (void)r.StatusOf();
  } else {
    Check(payload.empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  FuzzRingSlot(in);
  if (in.size() < ipc::kHeaderBytes) return 0;
  ipc::Header h = ipc::DecodeHeader(in.data());
  for (bool from_client : {true, false}) {
    if (ipc::CheckHeader(h, from_client).ok()) {
      Check(h.version == ipc::kVersion && h.reserved == 0 &&
            h.length <= ipc::kMaxPayload);
      Check(ipc::DecodeHeader(ipc::EncodeHeader(h).data()).call == h.call);
    }
  }
  std::string_view payload = in.substr(ipc::kHeaderBytes);
  // The script: one op per byte of the call id, so the fuzzer steers it.
  int script[8];
  for (int i = 0; i < 8; ++i)
    script[i] = static_cast<int>((h.call >> (8 * i)) & 0xff);
  ipc::Reader r(payload);
  ipc::Writer w;
  int ops = 1 + h.type % 8;
  for (int i = 0; i < ops && r.ok(); ++i) ReadOne(script[i], r, w);
  if (r.ok()) {
    // What was accepted re-encodes to something that reads back whole.
    std::string again = w.out();
    ipc::Reader r2(again);
    ipc::Writer w2;
    for (int i = 0; i < ops; ++i) ReadOne(script[i], r2, w2);
    Check(r2.done());
    Check(w2.out() == again);
  }
  ipc::Reader status(payload);
  (void)status.StatusOf();
  return 0;
}

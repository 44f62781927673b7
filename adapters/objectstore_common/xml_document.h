// The object stores' XML, read with libxml2: S3 ListObjectsV2 and
// DeleteObjects results, Azure List Blobs results, and both services'
// <Error> bodies. Elements are matched by local name (S3's default
// namespace is ignored); text is entity-decoded by libxml2. Parsing never
// touches the network nor loads a DTD or an external entity.
//
// Not part of cask's public API. Thread-safe: a document is immutable after
// Parse; libxml2 is initialised once.
#ifndef CASK_ADAPTERS_OBJECTSTORE_COMMON_XML_DOCUMENT_H_
#define CASK_ADAPTERS_OBJECTSTORE_COMMON_XML_DOCUMENT_H_

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace cask::objstore {

class XmlDocument {
 public:
  // kInternal (with libxml2's reason) when `xml` is not well-formed.
  static absl::StatusOr<XmlDocument> Parse(std::string_view xml);

  // The root element's local name ("ListBucketResult", "Error"...).
  std::string RootName() const;
  // The text of every element reached from the root by `path`, a list of
  // child element names (the root itself not included), in document order:
  // Texts({"Contents", "Key"}) on a ListBucketResult gives every key.
  std::vector<std::string> Texts(
      std::initializer_list<std::string_view> path) const;
  // The first of them, or "" when there is none.
  std::string Text(std::initializer_list<std::string_view> path) const;

 private:
  struct Freer {
    void operator()(void* doc) const;
  };
  explicit XmlDocument(void* doc) : doc_(doc) {}
  std::unique_ptr<void, Freer> doc_;  // xmlDoc*
};

// Text({field}) of the document `xml` when it is well-formed XML, "" when
// it is not (an error answer without a body, or with HTML): for reading
// <Error><Code> and <Message> out of whatever came back.
std::string XmlErrorField(std::string_view xml, std::string_view field);

// `text` escaped for element content (& < > " and CR), by libxml2.
std::string XmlEscape(std::string_view text);

}  // namespace cask::objstore

#endif  // CASK_ADAPTERS_OBJECTSTORE_COMMON_XML_DOCUMENT_H_

// Just enough XML for the object stores' flat list and error documents:
// the text of <Tag>...</Tag> elements, entity-decoded. No attributes on the
// searched elements, no nesting of the same tag (true of ListObjectsV2,
// DeleteObjects, List Blobs and every error body).
#ifndef CASK_ADAPTERS_OBJECTSTORE_COMMON_XML_TEXT_H_
#define CASK_ADAPTERS_OBJECTSTORE_COMMON_XML_TEXT_H_

#include <string>
#include <string_view>
#include <vector>

namespace cask::objstore {

// The decoded text of every <tag>...</tag> in document order.
std::vector<std::string> XmlElements(std::string_view xml,
                                     std::string_view tag);
// The first one, or "" when there is none.
std::string XmlElement(std::string_view xml, std::string_view tag);
// Escapes & < > " ' for element text.
std::string XmlEscape(std::string_view text);

}  // namespace cask::objstore

#endif  // CASK_ADAPTERS_OBJECTSTORE_COMMON_XML_TEXT_H_

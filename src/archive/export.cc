#include <map>

#include "archive/archive_impl.h"
#include "mailbox/mailbox.h"
#include "util/digest.h"

namespace custodian {

Result<ExportResult> ArchiveImpl::Export(const ExportOptions& opts, const std::string& dest) {
  CUSTODIAN_ASSIGN_OR_RETURN(mailbox::Format fmt, mailbox::ParseFormat(opts.format));
  if (fmt != mailbox::Format::kMbox && fmt != mailbox::Format::kMaildir && fmt != mailbox::Format::kEml)
    return Status::InvalidArgument("export format must be mbox, maildir or eml");
  if (opts.filter.custodian) {
    CUSTODIAN_ASSIGN_OR_RETURN(bool exists, catalog_->CustodianExists(*opts.filter.custodian));
    if (!exists) return Status::NotFound("no custodian named '" + *opts.filter.custodian + "' in this archive");
  }
  // One sink per custodian: DEST itself when one custodian is asked for, else DEST/<custodian>.
  std::map<std::string, std::unique_ptr<mailbox::MessageSink>> sinks;
  ExportResult res;
  catalog::CopyFilter f{opts.filter.custodian, opts.filter.folder, opts.filter.include_deleted, true};
  Status st = catalog_->ForEachCopy(f, [&](const catalog::CopyRow& c, const catalog::MessageRow& m) -> Status {
    auto& sink = sinks[c.custodian];
    if (!sink) {
      std::string dir = opts.filter.custodian ? dest : JoinPath(dest, c.custodian);
      CUSTODIAN_ASSIGN_OR_RETURN(sink, mailbox::OpenSink(dir, fmt));
    }
    CUSTODIAN_ASSIGN_OR_RETURN(std::string data, ReadRow(m));
    std::string id = ToHex(m.id);
    std::string flags = c.flags;
    if (c.deleted && flags.find('T') == std::string::npos) {
      flags += 'T';
      std::sort(flags.begin(), flags.end());
    }
    mailbox::ExportMessage em{data, c.folder, flags, c.envelope, id, m.date.value_or(0)};
    CUSTODIAN_RETURN_IF_ERROR(sink->Add(em));
    res.messages++;
    res.bytes += data.size();
    return Status::Ok();
  });
  CUSTODIAN_RETURN_IF_ERROR(st);
  for (auto& [name, sink] : sinks) CUSTODIAN_RETURN_IF_ERROR(sink->Finish());
  return res;
}

}  // namespace custodian

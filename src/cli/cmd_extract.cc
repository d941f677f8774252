// `custodian __extract-text METHOD [MAX_OUTPUT_BYTES]`: the hidden subcommand the importer
// runs in a child process (see extract/extract.h) to parse hostile attachments out of its
// own address space. Reads the attachment on stdin, writes its text on stdout.
#include "cli/cli.h"
#include "extract/extract.h"

namespace custodian::cli {

int CmdExtractText(const Context& ctx) { return extract::RunExtractTextCommand(ctx.argv); }

}  // namespace custodian::cli

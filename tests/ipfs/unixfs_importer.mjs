// Independent CIDs for tests/ipfs/test_unixfs.py: the npm `ipfs-unixfs-importer` (what js-ipfs
// and Helia use) with the parameters kubo's `ipfs add --cid-version=1 --raw-leaves` uses.
// Reads {"cases": [{"files": [{"path", "content_b64"}], "wrap": bool}]} on stdin and writes
// one CID string per case (the root: the file, or the wrapping directory) as a JSON list.
import { importer } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import { MemoryBlockstore } from 'blockstore-core/memory'

const chunks = []
for await (const chunk of process.stdin) chunks.push(chunk)
const { cases } = JSON.parse(Buffer.concat(chunks).toString('utf8'))

const options = {
  cidVersion: 1,
  rawLeaves: true,
  chunker: fixedSize({ chunkSize: 262144 }),
  layout: balanced({ maxChildrenPerNode: 174 }),
  reduceSingleLeafToSelf: true
}

const roots = []
for (const { files, wrap } of cases) {
  const source = files.map(({ path, content_b64 }) => ({
    path,
    content: Buffer.from(content_b64, 'base64')
  }))
  let last
  for await (const entry of importer(source, new MemoryBlockstore(), { ...options, wrapWithDirectory: wrap })) {
    last = entry
  }
  roots.push(last.cid.toString())
}
process.stdout.write(JSON.stringify(roots))

package mmgp.registry;

/**
 * One file of a repository at a commit, as the hub's tree API lists it.
 *
 * @param gitOid    git blob sha1 of what git stores: the content itself for small files, the LFS pointer for LFS files
 * @param lfsSha256 sha256 of the content for LFS files, else null
 */
public record HubFile(String path, long size, String gitOid, String lfsSha256) {
    public boolean isLfs() {
        return lfsSha256 != null;
    }
}

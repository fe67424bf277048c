package mmgp.registry;

/** Progress of a pull, for a progress line on the terminal; every method may be ignored. */
public interface PullListener {
    PullListener NONE = new PullListener() {};

    /** A phase of the pull ("resolving", "downloading", "converting", "installing") with a detail line. */
    default void phase(String phase, String detail) {}

    /**
     * The download begins: {@code files} files of {@code totalBytes} in all, {@code bytesOnDisk} of
     * them already here (verified files and partial ones from an earlier run). What follows is
     * {@link #fileStarted}/{@link #fileProgress}/{@link #fileDone} per file, in order.
     */
    default void downloadStarted(int files, long totalBytes, long bytesOnDisk) {}

    /**
     * {@code bytes} of {@code path} that {@link #downloadStarted} counted as already on disk were
     * thrown away (a same-size file failing its hash, an oversized or unresumable part file): they
     * are transferred again. Comes before the {@link #fileStarted} of the attempt that refetches them.
     */
    default void discarded(String path, long bytes) {}

    /** {@code resumedFrom} bytes of {@code path} were already on disk from an earlier attempt. */
    default void fileStarted(String path, long size, long resumedFrom) {}

    default void fileProgress(String path, long done, long size, double bytesPerSecond) {}

    /** @param cached true when an earlier run had already downloaded and verified the file */
    default void fileDone(String path, long size, boolean cached) {}

    /** A retry after a failed attempt, with the reason. */
    default void retrying(String path, int attempt, String reason) {}
}

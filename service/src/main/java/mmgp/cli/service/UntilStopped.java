package mmgp.cli.service;

import java.util.concurrent.CountDownLatch;

/** How the long-running verbs (serve, worker) end: on SIGTERM or Ctrl-C, after closing what they run. */
final class UntilStopped {
    private UntilStopped() {}

    /**
     * Registers {@code stop} to run at JVM shutdown (in a thread named {@code name}), prints
     * {@code running} and blocks until {@code stop} has run; returns the verb's exit code.
     */
    static int await(String name, Runnable stop, String running) throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.run();
            stopped.countDown();
        }, name));
        System.out.println(running);
        stopped.await();
        return 0;
    }
}

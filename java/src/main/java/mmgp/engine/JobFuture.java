package mmgp.engine;

import java.util.concurrent.CompletableFuture;

/** A job's result future whose {@link #cancel} cancels the job itself (and so frees its place in a batch). */
final class JobFuture<T> extends CompletableFuture<T> {
    private volatile Job<?> job;

    void attach(Job<?> owner) {
        this.job = owner;
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        Job<?> owner = job;
        if (owner == null) return super.cancel(mayInterruptIfRunning);
        return owner.cancel() || isCancelled();
    }
}

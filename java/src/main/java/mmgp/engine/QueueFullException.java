package mmgp.engine;

import mmgp.api.Task;

/** The task's request queue is at its bound: the caller should retry later (HTTP 429). */
public final class QueueFullException extends RuntimeException {
    private final Task task;
    private final int capacity;

    public QueueFullException(Task task, int capacity) {
        super(task.label() + " queue is full (" + capacity + " requests waiting); retry later");
        this.task = task;
        this.capacity = capacity;
    }

    public Task task() {
        return task;
    }

    public int capacity() {
        return capacity;
    }
}

package mmgp.server;

import mmgp.api.Task;

/** How long a refused caller should wait before trying the task again (the Retry-After value). */
@FunctionalInterface
interface RetryAdvisor {
    long retryAfterSeconds(Task task);
}

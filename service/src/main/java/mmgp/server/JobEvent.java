package mmgp.server;

/** One server-sent event: its name ("state", "status", "progress", "stage", "text") and JSON data. */
record JobEvent(String name, String json) {}

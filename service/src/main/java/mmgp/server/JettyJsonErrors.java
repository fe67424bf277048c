package mmgp.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.handler.ErrorHandler;

/**
 * The errors Jetty answers itself, before or outside any route (a malformed request line or
 * header, an ambiguous path, a request that timed out while its headers arrived), in the API's
 * JSON shape {@code {"error": {"code", "message"}}} instead of Jetty's HTML page.
 */
final class JettyJsonErrors extends ErrorHandler {
    private static final ObjectMapper JSON = new ObjectMapper();

    JettyJsonErrors() {
        setShowStacks(false);
        setShowServlet(false);
    }

    /** Errors of requests that reached the servlet layer (e.g. sendError with no route's answer). */
    @Override
    protected void generateAcceptableResponse(Request baseRequest, HttpServletRequest request, HttpServletResponse response, int code, String message)
            throws IOException {
        byte[] body = body(code, message);
        response.setContentType("application/json");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
        baseRequest.setHandled(true);
    }

    /** Requests the parser refused before any handler saw them. */
    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(new HttpField(HttpHeader.CONTENT_TYPE, "application/json"));
        return ByteBuffer.wrap(body(status, reason));
    }

    static byte[] body(int status, String message) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", code(status));
        String reason = HttpStatus.getMessage(status);
        error.put("message", message == null || message.isBlank() ? reason : message);
        try {
            return JSON.writeValueAsBytes(Map.of("error", error));
        } catch (IOException e) {
            return ("{\"error\":{\"code\":\"" + code(status) + "\"}}").getBytes(StandardCharsets.UTF_8);
        }
    }

    private static String code(int status) {
        return switch (status) {
            case 400 -> "bad_request";
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 408 -> "request_timeout";
            case 413 -> "payload_too_large";
            case 414 -> "uri_too_long";
            case 431 -> "headers_too_large";
            default -> status >= 500 ? "internal_error" : "http_" + status;
        };
    }
}

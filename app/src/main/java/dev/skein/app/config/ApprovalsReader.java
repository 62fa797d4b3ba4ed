package dev.skein.app.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.skein.schemas.SessionAddress;
import dev.skein.topologies.session.ApprovalPolicy;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Reads {@code skein.session.approvals} into an {@link ApprovalPolicy}, checking every name. */
final class ApprovalsReader {

    private static final String APPROVALS = "skein.session.approvals";
    private static final List<String> APPROVAL_SCOPES = List.of("tools", "by-agent", "by-tenant");
    // The tool API's rule for names (Tools).
    private static final Pattern TOOL_NAME = Pattern.compile("[a-z][a-z0-9_]{0,63}");

    /** The policy {@code skein.session.approvals} describes; a bad value fails naming its key. */
    static ApprovalPolicy read(Config config) {
        ConfigObject approvals = config.getObject(APPROVALS);
        for (String key : approvals.keySet()) {
            if (!APPROVAL_SCOPES.contains(key)) {
                throw new ConfigException.BadValue(
                        APPROVALS + "." + ConfigUtil.joinPath(key), "unknown key; expected one of " + APPROVAL_SCOPES);
            }
        }
        return new ApprovalPolicy(
                approvals.containsKey("tools") ? toolNames(APPROVALS + ".tools", approvals.get("tools")) : Set.of(),
                toolNamesBy(APPROVALS + ".by-agent", approvals.get("by-agent"), false),
                toolNamesBy(APPROVALS + ".by-tenant", approvals.get("by-tenant"), true));
    }

    /** An object of tool lists by agent or, with {@code byTenant}, by tenant. */
    private static Map<String, Set<String>> toolNamesBy(String where, ConfigValue value, boolean byTenant) {
        Map<String, Set<String>> byName = new LinkedHashMap<>();
        if (value == null) {
            return byName;
        }
        if (!(value instanceof ConfigObject object)) {
            throw new ConfigException.BadValue(
                    where,
                    "must be an object of tool lists by name, e.g. { support = [deploy] }, not " + value.render());
        }
        for (Map.Entry<String, ConfigValue> entry : object.entrySet()) {
            String key = where + "." + ConfigUtil.joinPath(entry.getKey());
            // Agents may be built in code, so only a tenant's name can be checked here.
            if (byTenant && !SessionAddress.isValidPart(entry.getKey())) {
                throw new ConfigException.BadValue(
                        key, "'" + entry.getKey() + "' is not a tenant ([A-Za-z0-9._-]{1,128})");
            }
            byName.put(entry.getKey(), toolNames(key, entry.getValue()));
        }
        return byName;
    }

    /** A list of tool names, or "*". */
    private static Set<String> toolNames(String where, ConfigValue value) {
        if (value.valueType() != ConfigValueType.LIST) {
            throw new ConfigException.BadValue(
                    where, "must be a list of tool names, e.g. [deploy, gpu_info] or [\"*\"], not " + value.render());
        }
        Set<String> tools = new LinkedHashSet<>();
        for (Object element : (List<?>) value.unwrapped()) {
            String tool = String.valueOf(element);
            if (!(element instanceof String)
                    || !(tool.equals(ApprovalPolicy.EVERY_TOOL)
                            || TOOL_NAME.matcher(tool).matches())) {
                throw new ConfigException.BadValue(
                        where,
                        "'" + tool + "' is not a tool name (lower case letters, digits and _) or \"*\" (every tool)");
            }
            tools.add(tool);
        }
        return tools;
    }

    private ApprovalsReader() {}
}

-- certbound: ask the certbound gateway about each request from an HAProxy `http-request` action, like nginx's
-- auth_request or Caddy's forward_auth. Needs HAProxy 2.6+ (the Lua httpclient) built with Lua (Debian's is).
--
--   global
--       lua-load /etc/haproxy/certbound-auth.lua
--   frontend ...
--       http-request lua.certbound-auth 127.0.0.1:9000
--
-- The gateway gets the client's headers (the certificate header set by the frontend among them) plus
-- X-Forwarded-Method and X-Forwarded-Uri, on its /auth/haproxy endpoint. Afterwards the transaction holds:
--   txn.certbound_status     the gateway's status ("200", "401", ...), or "unavailable" when it could not be asked
--   txn.certbound_subject, _client_id, _thumbprint, _scopes, _roles   on 2xx: the identity ("" when absent)
--   txn.certbound_challenge, txn.certbound_body                       otherwise: WWW-Authenticate and JSON body
-- haproxy.cfg then returns the refusal or sets the identity headers (see haproxy.cfg.gateway).

local IDENTITY = { 'subject', 'client_id', 'thumbprint', 'scopes', 'roles' }
-- Hop-by-hop and framing headers describe the client's connection, not the question asked of the gateway.
local NOT_FORWARDED = { ['connection'] = true, ['content-length'] = true, ['transfer-encoding'] = true, ['host'] = true,
  ['keep-alive'] = true, ['te'] = true, ['upgrade'] = true, ['expect'] = true }

-- HAProxy header tables map a lower-case name to its values indexed from 0.
local function values_of(list)
  local out = {}
  if type(list) == 'string' then return { list } end
  local i = 0
  while list[i] ~= nil do
    out[#out + 1] = list[i]
    i = i + 1
  end
  -- Tolerate 1-indexed tables too.
  if #out == 0 then for _, v in ipairs(list) do out[#out + 1] = v end end
  return out
end

local function first(headers, name)
  if headers == nil or headers[name] == nil then return nil end
  return values_of(headers[name])[1]
end

core.register_action('certbound-auth', { 'http-req' }, function(txn, gateway)
  local headers = {}
  for name, list in pairs(txn.http:req_get_headers()) do
    if not NOT_FORWARDED[name] then headers[name] = values_of(list) end
  end
  headers['x-forwarded-method'] = { txn.sf:method() }
  headers['x-forwarded-uri'] = { txn.sf:pathq() }

  local ok, response = pcall(function()
    return core.httpclient():get({ url = 'http://' .. gateway .. '/auth/haproxy', headers = headers, timeout = 5000 })
  end)
  -- No answer (connection refused, timeout): fail closed, the frontend answers 503.
  if not ok or response == nil or response.status == nil or response.status == 0 then
    txn:set_var('txn.certbound_status', 'unavailable')
    return
  end
  txn:set_var('txn.certbound_status', tostring(response.status))
  if response.status >= 200 and response.status < 300 then
    for _, key in ipairs(IDENTITY) do
      txn:set_var('txn.certbound_' .. key, first(response.headers, 'x-certbound-' .. key:gsub('_', '-')) or '')
    end
  else
    txn:set_var('txn.certbound_challenge', first(response.headers, 'www-authenticate') or '')
    txn:set_var('txn.certbound_body', response.body or '')
  end
end, 1)

-- Drive djvet's language server from a real, headless Neovim (0.7 through 0.11).
--
-- Opens $DJVET_FILE, starts `djvet server` ($DJVET_CMD, a JSON list) attached to the buffer,
-- waits for djvet's diagnostics, asks for the code actions of the first $DJVET_CODE
-- diagnostic, applies the preferred quick fix with Neovim's own workspace-edit code, writes
-- the file and records what happened as JSON in $DJVET_OUT. Any failure exits non-zero.

local function result_file(data)
  local out = assert(io.open(os.getenv("DJVET_OUT"), "w"))
  out:write(vim.fn.json_encode(data))
  out:close()
end

local function main()
  local report = { steps = {} }
  local function step(name) table.insert(report.steps, name) end
  local cmd = vim.fn.json_decode(os.getenv("DJVET_CMD"))
  local root = os.getenv("DJVET_ROOT")
  local file = os.getenv("DJVET_FILE")
  local code = os.getenv("DJVET_CODE")
  report.nvim = vim.version().major .. "." .. vim.version().minor .. "." .. vim.version().patch

  vim.cmd("edit " .. vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  step("opened")

  local client_id = vim.lsp.start_client({
    name = "djvet",
    cmd = cmd,
    cmd_env = { VIRTUAL_ENV = "" },
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = "demo" } },
  })
  assert(client_id, "the client did not start")
  vim.lsp.buf_attach_client(bufnr, client_id)
  local client = vim.lsp.get_client_by_id(client_id)
  step("attached")

  local found = nil
  local ok = vim.wait(60000, function()
    for _, d in ipairs(vim.diagnostic.get(bufnr)) do
      if d.code == code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code == code) then
        found = d
        return true
      end
    end
    return false
  end, 50)
  assert(ok and found, "no " .. code .. " diagnostic arrived")
  report.offset_encoding = client.offset_encoding
  report.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(report.diagnostics, { code = d.code, source = d.source, lnum = d.lnum, col = d.col, message = d.message })
  end
  step("diagnostics")

  -- The diagnostic in LSP shape, as an editor sends it back in the code-action context.
  local lsp_diag = (found.user_data and found.user_data.lsp) or {}
  local range = lsp_diag.range or {
    start = { line = found.lnum, character = found.col },
    ["end"] = { line = found.end_lnum, character = found.end_col },
  }
  local context_diag = {
    range = range,
    message = found.message,
    code = code,
    source = found.source,
    severity = found.severity,
    data = lsp_diag.data,
  }
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = range,
    context = { diagnostics = { context_diag }, only = { "quickfix" } },
  }
  local responses = vim.lsp.buf_request_sync(bufnr, "textDocument/codeAction", params, 20000)
  assert(responses, "no code action response")
  local chosen = nil
  report.actions = {}
  for _, response in pairs(responses) do
    assert(not response.err, vim.inspect(response.err))
    for _, action in ipairs(response.result or {}) do
      table.insert(report.actions, action.title)
      if action.isPreferred and action.edit and not chosen then
        chosen = action
      end
    end
  end
  assert(chosen, "no preferred quick fix among " .. vim.inspect(report.actions))
  report.applied = chosen.title
  step("code action")

  vim.lsp.util.apply_workspace_edit(chosen.edit, client.offset_encoding)
  vim.cmd("write")
  step("written")

  vim.lsp.stop_client(client_id)
  vim.wait(5000, function() return vim.lsp.get_client_by_id(client_id) == nil end, 50)
  report.ok = true
  result_file(report)
end

local ok, err = xpcall(main, debug.traceback)
if not ok then
  pcall(result_file, { ok = false, error = tostring(err) })
  io.stderr:write(tostring(err) .. "\n")
  vim.cmd("cquit! 1")
end
vim.cmd("qall!")

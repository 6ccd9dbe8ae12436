-- Starts `hostplan lsp` for Hostplan plans.
--
--   require("hostplan").setup({ cmd = { "hostplan", "lsp" } })
--
-- Works with Neovim 0.7 and later; on 0.11 and later `vim.lsp.enable("hostplan")` with the
-- `lsp/hostplan.lua` of this directory does the same.
local M = {}

local defaults = {
  cmd = { "hostplan", "lsp" },
  -- Plans import files relative to themselves; the directory of the file is its root.
  root_dir = function(fname)
    return vim.fn.fnamemodify(fname, ":p:h")
  end,
}

local function start(opts, bufnr)
  local fname = vim.api.nvim_buf_get_name(bufnr)
  local config = {
    name = "hostplan",
    cmd = opts.cmd,
    root_dir = opts.root_dir(fname),
    on_attach = opts.on_attach,
    capabilities = opts.capabilities,
  }
  if vim.lsp.start then
    vim.lsp.start(config, { bufnr = bufnr })
    return
  end
  -- Neovim 0.7: one client per root directory, attached by hand.
  M.clients = M.clients or {}
  local id = M.clients[config.root_dir]
  if not id or not vim.lsp.get_client_by_id(id) then
    id = vim.lsp.start_client(config)
    M.clients[config.root_dir] = id
  end
  if id then
    vim.lsp.buf_attach_client(bufnr, id)
  end
end

function M.setup(opts)
  opts = vim.tbl_deep_extend("force", defaults, opts or {})
  local group = vim.api.nvim_create_augroup("hostplan_lsp", { clear = true })
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = "hostplan",
    callback = function(args)
      start(opts, args.buf)
    end,
  })
end

return M

-- End-to-end check of the Neovim integration, run headless by the test suite:
--   HOSTPLAN_BIN=... HOSTPLAN_PLAN=... HOSTPLAN_OUT=... nvim --headless --clean -c "luafile e2e.lua"
-- It loads this directory as a plugin, opens the plan (filetype detection starts the
-- server through `require("hostplan").setup`), waits for diagnostics, and writes one line
-- per diagnostic: `CODE LNUM:COL-END_LNUM:END_COL` (zero-based lines, byte columns).
local here = vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p:h:h")
vim.opt.runtimepath:prepend(here)
vim.cmd("runtime! ftdetect/hostplan.vim")

local out = os.getenv("HOSTPLAN_OUT")
local function finish(lines)
  vim.fn.writefile(lines, out)
  vim.cmd("qall!")
end

require("hostplan").setup({ cmd = { os.getenv("HOSTPLAN_BIN"), "lsp" } })
vim.cmd("edit " .. vim.fn.fnameescape(os.getenv("HOSTPLAN_PLAN")))

local ok = vim.wait(30000, function()
  return #vim.diagnostic.get(0) > 0
end, 50)
if not ok then
  finish({ "TIMEOUT filetype=" .. vim.bo.filetype .. " clients=" .. #vim.lsp.get_active_clients() })
  return
end
local lines = {}
for _, d in ipairs(vim.diagnostic.get(0)) do
  local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code) or "?"
  table.insert(lines, string.format("%s %d:%d-%d:%d", code, d.lnum, d.col, d.end_lnum, d.end_col))
end
table.sort(lines)
finish(lines)

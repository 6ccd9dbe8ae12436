-- Editing settings for Hostplan plans, matching `hostplan fmt`: two-space indentation and
-- `#` comments.
vim.bo.commentstring = "# %s"
vim.bo.comments = ":#"
vim.bo.expandtab = true
vim.bo.shiftwidth = 2
vim.bo.softtabstop = 2
vim.bo.tabstop = 2
